/* libFuzzer target for what the HB46PP client reads from the network: the
 * TXT record text (s46_txt_parse) and the server's answer (s46_hb46pp_parse
 * with the CE's lenient token rule, then the server's strict validation of
 * whatever parsed). Nothing may crash, leak or read out of bounds; an
 * accepted TXT record must satisfy its contract; an accepted answer must
 * build a rule set, CEs and tunnels (hb46pp_diff.h, the differential
 * property the unit test test_prov_hb46pp_diff checks on random answers). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "prov/hb46pp.h"
#include "prov/txt.h"
#include "hb46pp_diff.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[200];
    s46_txt t;
    if (s46_txt_parse((const char *)data, size, &t, err, sizeof err) == 0) {
        size_t n = strlen(t.url);
        if (n == 0 || n > S46_TXT_URL_MAX || (!t.https && t.verify) ||
            strncasecmp(t.url, "http", 4) != 0)
            abort();
    }
    if (size > 65536)
        return 0;
    json_t *j = s46_hb46pp_parse((const char *)data, size, S46_HB46PP_LENIENT_TOKEN, err, sizeof err);
    if (j) {
        bool dropped = false;
        s46_hb46pp_validate(j, S46_HB46PP_LENIENT_TOKEN, &dropped, err, sizeof err);
        s46_hb46pp_validate(j, 0, NULL, err, sizeof err);
        char why[S46_ERRLEN];
        if (hb46pp_diff_check(j, false, (unsigned)size, why, sizeof why))
            abort(); /* accepted, but the CE could not build it */
        json_decref(j);
    }
    return 0;
}
