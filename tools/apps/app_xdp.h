/* `--driver xdp` for the real-network subcommands (serve): the device's XDP program and the
 * state the per-queue stacks share only at start (the master secret), then one AF_XDP queue per
 * stack. Stubs that say the driver was not built when libxdp/libbpf were missing. */
#ifndef SYNACK_TOOLS_APP_XDP_H
#define SYNACK_TOOLS_APP_XDP_H

#include <stdio.h>

#include <synack/synack.h>

struct app_net;
typedef struct app_xdp_group app_xdp_group_t;

/* True when this binary has the AF_XDP driver. */
bool app_xdp_available(void);
/* Attaches the XDP program to o->dev for the stack's addresses and draws the shared secret.
 * NULL (message printed) on failure. */
app_xdp_group_t *app_xdp_group_new(const struct app_net *proto, const char *cmd);
void app_xdp_group_free(app_xdp_group_t *g);
const uint8_t *app_xdp_group_secret(const app_xdp_group_t *g);
/* Opens queue a->queue of the group's device into a->xdp. 0, or -1 with a message. */
int app_xdp_open(struct app_net *a, app_xdp_group_t *g, const char *cmd);
void app_xdp_close(struct app_net *a);
int app_xdp_run(struct app_net *a, synack_time_t max_wait_us);
void app_xdp_print_stats(struct app_net *a, FILE *f);
/* Lets the queues' stacks see each other's ARP replies / neighbour advertisements (the answer
 * arrives on the queue the sender picked). 0 or -1. */
int app_xdp_share_neighbours(struct app_net *const *nets, uint32_t n);
/* The device's receive queues (0 when it cannot be read). */
int app_xdp_queue_count(const char *dev);

#endif
