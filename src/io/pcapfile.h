/* pcap files as packet ports (libpcap). Input: Ethernet (DLT_EN10MB, VLAN
 * tags skipped) or raw IP (LINKTYPE_RAW 101 / DLT_RAW); non-IP frames are
 * skipped and counted. Output: raw IP (LINKTYPE_RAW) by default, or
 * Ethernet with fixed addresses. */
#ifndef S46_IO_PCAPFILE_H
#define S46_IO_PCAPFILE_H
#include <stdbool.h>

#include "lib/pkt.h"

typedef struct s46_pcap_in s46_pcap_in;
typedef struct s46_pcap_out s46_pcap_out;

s46_pcap_in *s46_pcap_in_open(const char *path, char *err, size_t errlen);
/* Reads the next IP packet into p (data at standard headroom). 1 = a packet,
 * 0 = end of file, -1 = read error (err). */
int s46_pcap_in_next(s46_pcap_in *in, s46_pkt *p, char *err, size_t errlen);
unsigned long s46_pcap_in_skipped(const s46_pcap_in *in);
void s46_pcap_in_close(s46_pcap_in *in);

s46_pcap_out *s46_pcap_out_open(const char *path, bool ethernet, char *err, size_t errlen);
int s46_pcap_out_write(s46_pcap_out *out, const s46_pkt *p);
/* Flushes and closes; -1 if anything failed to be written. */
int s46_pcap_out_close(s46_pcap_out *out);
#endif
