#include "config.h"
#include "suites.h"
void suite_index(void)
{
}
