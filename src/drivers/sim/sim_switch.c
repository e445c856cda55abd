/* A learning Ethernet switch: remembers on which port each source MAC was last seen and sends
 * unicast frames for a known destination out of that port only; broadcast, multicast and
 * unknown destinations are flooded to every other port. Forwarding is instantaneous (the links
 * carry the delays), and a frame whose destination sits behind the port it came from is
 * filtered, as a real bridge does. */
#include <string.h>

#include "sim_priv.h"

static bool is_group(const uint8_t *mac) { return (mac[0] & 1) != 0; }

static int lookup(const sim_node_t *n, const uint8_t *mac) {
  for (size_t i = 0; i < n->nmacs; i++)
    if (memcmp(n->macs[i].mac.b, mac, 6) == 0) return (int)i;
  return -1;
}

static void learn(sim_node_t *n, const uint8_t *mac, int port) {
  if (is_group(mac)) return; /* a group address is never a source */
  int i = lookup(n, mac);
  if (i >= 0) {
    n->macs[i].port = port; /* the station moved */
    return;
  }
  if (synack_sim_grow((void **)&n->macs, &n->cap_macs, n->nmacs + 1, sizeof *n->macs) < 0) return;
  memcpy(n->macs[n->nmacs].mac.b, mac, 6);
  n->macs[n->nmacs].port = port;
  n->nmacs++;
}

static void out_port(synack_sim_t *sim, int node, int port, const uint8_t *frame, size_t len) {
  int link = sim->nodes[node].links[port];
  int dir = sim->links[link].node[0] == node ? 0 : 1;
  synack_sim_link_transmit(sim, link, dir, frame, len);
}

void synack_sim_switch_input(synack_sim_t *sim, int node, int port, const uint8_t *frame, size_t len) {
  if (len < 14) return; /* a runt has no addresses to switch on */
  sim_node_t *n = &sim->nodes[node];
  const uint8_t *dst = frame, *src = frame + 6;
  learn(n, src, port);
  int known = is_group(dst) ? -1 : lookup(n, dst);
  if (known >= 0) {
    int p = n->macs[known].port;
    if (p != port) out_port(sim, node, p, frame, len);
    return;
  }
  size_t nports = n->nlinks;
  for (size_t p = 0; p < nports; p++)
    if ((int)p != port) out_port(sim, node, (int)p, frame, len);
}
