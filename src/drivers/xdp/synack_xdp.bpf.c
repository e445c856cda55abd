/* The XDP program of the AF_XDP driver (compiled with clang -target bpf at build time).
 *
 * Redirects to the queue's XDP socket only the frames for the stack's addresses: ARP asking for
 * or answering our IPv4 address, IPv4 to our address, IPv6 to our address or our link-local
 * one, and neighbour discovery sent to their solicited-node multicast groups. Everything else
 * (other hosts' traffic on a shared segment, the kernel's own addresses) is passed to the
 * kernel, so the device can keep serving the host beside synack.
 *
 * The socket is looked up by the queue the frame arrived on: an XDP socket receives only from
 * the queue it is bound to (the kernel refuses a redirect to a socket of another queue), so
 * spreading flows over queues is the NIC's job (RSS) or, on a veth, the sender's transmit queue
 * choice; see docs/afxdp.md. A queue without a socket passes the frame on (the map's default).
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>

/* Filled by the driver before the program is attached (synack_xdp_prog_attach). */
struct synack_xdp_addrs {
  __u32 has4, has6;
  __u8 ip4[4];
  __u8 ip6[16];    /* the configured address */
  __u8 ip6ll[16];  /* the EUI-64 link-local address */
};

struct {
  __uint(type, BPF_MAP_TYPE_XSKMAP);
  __uint(max_entries, 256);
  __type(key, __u32);
  __type(value, __u32);
} synack_xsks SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct synack_xdp_addrs);
} synack_addrs SEC(".maps");

static __always_inline int eq(const __u8 *a, const __u8 *b, int n) {
  for (int i = 0; i < n; i++)
    if (a[i] != b[i]) return 0;
  return 1;
}

/* ff02::1:ffXX:XXXX for the low 24 bits of addr (RFC 4291 §2.7.1). */
static __always_inline int solicited_for(const __u8 *dst, const __u8 *addr) {
  static const __u8 pfx[13] = { 0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff };
  return eq(dst, pfx, 13) && dst[13] == addr[13] && dst[14] == addr[14] && dst[15] == addr[15];
}

SEC("xdp")
int synack_xdp_redirect(struct xdp_md *ctx) {
  const __u8 *p = (const __u8 *)(long)ctx->data;
  const __u8 *end = (const __u8 *)(long)ctx->data_end;
  __u32 zero = 0;
  struct synack_xdp_addrs *a = bpf_map_lookup_elem(&synack_addrs, &zero);
  if (!a || p + ETH_HLEN > end) return XDP_PASS;
  __u16 type = (__u16)((p[12] << 8) | p[13]);
  const __u8 *l3 = p + ETH_HLEN;
  int ours = 0;
  if (type == ETH_P_ARP) {
    /* Ethernet/IPv4 ARP: the target protocol address (at 24) is ours in a request for it and in
     * a reply to our own request. */
    if (l3 + 28 > end) return XDP_PASS;
    ours = a->has4 && eq(l3 + 24, a->ip4, 4);
  } else if (type == ETH_P_IP) {
    if (l3 + 20 > end) return XDP_PASS;
    ours = a->has4 && eq(l3 + 16, a->ip4, 4);
  } else if (type == ETH_P_IPV6) {
    if (l3 + 40 > end) return XDP_PASS;
    const __u8 *dst = l3 + 24;
    ours = (a->has6 && (eq(dst, a->ip6, 16) || solicited_for(dst, a->ip6))) || eq(dst, a->ip6ll, 16) ||
           solicited_for(dst, a->ip6ll);
  }
  if (!ours) return XDP_PASS;
  return bpf_redirect_map(&synack_xsks, ctx->rx_queue_index, XDP_PASS);
}

char _license[] SEC("license") = "GPL";
