/* synack — a sans-I/O userspace TCP/IP stack. Umbrella header. */
#ifndef SYNACK_H
#define SYNACK_H

#include "synack/types.h"
#include "synack/counters.h"
#include "synack/config.h"
#include "synack/trace.h"
#include "synack/wire.h"
#include "synack/stack.h"
#include "synack/socket.h"
#include "synack/udp.h"
#include "synack/sim.h"
#include "synack/pcap.h"
#include "synack/random.h"

#define SYNACK_VERSION "0.1.0"

#endif
