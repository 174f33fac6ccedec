/*
 * Fuzz the configuration loader: the input is written to a private file
 * (mode 0600) and loaded with cfg_load(); a loaded file has every account
 * and key looked at.  A refused file must say why.
 */
#include "config.h"

#include <string.h>

#include "cfg.h"
#include "err.h"

#include "fuzz.h"

/* cfg refuses bigger files; a little more checks that limit too. */
#define MAX_INPUT (80 * 1024)

static const char *const keys[] = {
	"name", "address", "maildir", "smtp", "fetch", "user", "password_cmd", "password",
	"fetch_folders", "keep", "tls", "tls_ca_file", "tls_fingerprint", "auth",
	"local_domains", "oauth2_provider", "oauth2_client_id", "oauth2_token_url",
	"oauth2_ca_file", "nosuchkey",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct err err = ERR_INIT;
	struct cfg *cfg;
	const struct cfg_account *a;
	size_t i, k, n;

	if (size > MAX_INPUT)
		return 0;
	cfg = cfg_load(fuzz_tmpfile(data, size), &err);
	if (!cfg) {
		FUZZ_CHECK(err.code != 0 && err.msg[0] != '\0');
		return 0;
	}
	(void)cfg_path(cfg);
	(void)cfg_general(cfg, "default_account");
	(void)cfg_general_int(cfg, "send_delay", 10);
	(void)cfg_general_duration(cfg, "expire", 5);
	for (i = 0; i < 12; i++)
		FUZZ_CHECK(cfg_retry_delay(cfg, (unsigned)i) >= 0);
	n = cfg_account_count(cfg);
	for (i = 0; i < n; i++) {
		a = cfg_account_at(cfg, i);
		FUZZ_CHECK(cfg_account_name(a) != NULL);
		for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
			(void)cfg_get(a, keys[k]);
		FUZZ_CHECK(cfg_get(a, "maildir") != NULL);
		for (k = 0; cfg_get_nth(a, "rule", k); k++)
			;
		(void)cfg_get_bool(a, "keep", 1);
		(void)cfg_get_duration(a, "poll_interval", 0);
		if (cfg_get(a, "address"))
			FUZZ_CHECK(cfg_account_for_address(cfg, cfg_get(a, "address")) != NULL);
	}
	err_clear(&err);
	a = cfg_account_find(cfg, NULL, &err);
	FUZZ_CHECK(a != NULL || n == 0 || err.code != 0);
	cfg_free(cfg);
	return 0;
}
