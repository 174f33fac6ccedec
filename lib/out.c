#include "config.h"

#include <stdio.h>

#include "out.h"

int out_write(const void *p, size_t n, struct err *err)
{
	if (n && fwrite(p, 1, n, stdout) != n)
		return err_sys(err, EX_IOERR, "cannot write output");
	return 0;
}

int out_flush(struct err *err)
{
	if (fflush(stdout) == EOF || ferror(stdout))
		return err_sys(err, EX_IOERR, "cannot write output");
	return 0;
}
