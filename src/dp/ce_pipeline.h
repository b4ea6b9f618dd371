/* The CE as one pipeline that runs whichever mechanism it is given (MAP-E,
 * DS-Lite B4, ipip, lw4o6 lwB4, 464XLAT CLAT) and switches mechanism at run time: a change of
 * mechanism (MAP-E and MAP-T are two) builds the new data plane and drops the old one (its counters
 * and NAPT state go with it); the same mechanism is reconfigured in place
 * (ce_mape.h, ce_tunnel.h, ce_lw4o6.h, clat.h say what is kept). */
#ifndef S46_DP_CE_PIPELINE_H
#define S46_DP_CE_PIPELINE_H
#include "dp/ce_mape.h"
#include "dp/ce_lw4o6.h"
#include "dp/ce_tunnel.h"
#include "dp/clat.h"
#include "dp/pipeline.h"

typedef enum s46_ce_mech {
    S46_CE_MECH_NONE = 0,
    S46_CE_MECH_MAPE,
    S46_CE_MECH_DSLITE,
    S46_CE_MECH_IPIP,
    S46_CE_MECH_LW4O6,
    S46_CE_MECH_CLAT,
    S46_CE_MECH_MAPT,      /* the MAP-E CE's data plane with mape.mapt set */
} s46_ce_mech;

/* The conf of s46_pl_ce. */
typedef struct s46_cepl_conf {
    s46_ce_mech mech;
    s46_ce_conf mape;      /* MAP-E (rules are copied by the data plane) */
    s46_cet_conf tunnel;   /* DS-Lite and ipip (kind follows mech) */
    s46_lwb4_conf lw4o6;   /* the lwB4 */
    s46_clat_conf clat;    /* 464XLAT's CLAT */
} s46_cepl_conf;

/* "map_e", "map_t", "dslite", "ipip", "lw4o6", "464xlat", "none". */
const char *s46_ce_mech_name(s46_ce_mech m);
#endif
