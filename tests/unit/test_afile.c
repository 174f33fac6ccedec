#include "config.h"
#include "suites.h"
void suite_afile(void)
{
}
