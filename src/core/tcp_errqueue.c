/* A socket's error queue (Linux's sk_error_queue, read with recvmsg(MSG_ERRQUEUE)): the
 * completions of MSG_ZEROCOPY sends and the transmit timestamps SO_TIMESTAMPING asks for.
 *
 * MSG_ZEROCOPY: synack always copies the data, so the completions matter, not the copy. Each
 * zerocopy send takes the socket's next 32-bit id; a send whose data joins the unsent tail of
 * the previous zerocopy send shares its record (Linux's msg_zerocopy_realloc extends the uarg
 * of the write queue's tail). A record completes when the peer has acknowledged all its bytes
 * (or the connection ends): a notification [lo, hi] of its ids, code COPIED; a completion
 * whose range continues the one at the queue's tail is merged into it (Linux's
 * skb_zerocopy_notify_extend).
 *
 * SO_TIMESTAMPING (TX): a send with a recording flag marks its last byte; the segment that
 * first carries it reports SCHED then SND, the ACK that covers it reports ACK. ee_data is the
 * byte's offset from SND.UNA at the time OPT_ID was turned on (Linux's sk_tskey). The time is
 * the stack's clock (µs) when the event happened. Without OPT_TSONLY a report gives the length
 * of the packet Linux would attach (synack keeps no copy; pkt_len). */
#include <string.h>

#include "tcp_internal.h"

#define ERRQ_MAX 1024u  /* queued reports (Linux bounds the queue by the receive buffer) */
#define PEND_MAX 4096u  /* outstanding zerocopy records or timestamp keys */

typedef struct {
  synack_seq_t end; /* the record's bytes end here */
  uint32_t lo, hi;  /* its ids */
} zc_rec_t;
typedef struct {
  synack_seq_t key; /* the send's last byte */
  uint32_t tsflags; /* the recording flags of that send */
  uint32_t wlen;    /* the send's bytes (Linux's skb holding the key: the report's data) */
  bool sent;        /* SCHED / SND reported */
} ts_rec_t;

/* Linux's largest GSO packet: a write longer than this is several skbs, the key in the last. */
#define SKB_MAX 65483u

struct synack_errq {
  synack_sock_err_t *q; /* ring of reports, grown up to ERRQ_MAX */
  uint32_t qhead, qn, qcap;
  uint32_t zc_next;  /* Linux's sk_zckey */
  zc_rec_t *zc;
  uint32_t zc_head, zc_n, zc_cap;
  ts_rec_t *ts;
  uint32_t ts_head, ts_n, ts_cap;
  uint32_t tsflags;  /* SO_TIMESTAMPING */
  synack_seq_t tskey; /* OPT_ID origin */
  bool zerocopy;     /* SO_ZEROCOPY */
};

static synack_errq_t *errq_get(synack_stack_t *st, synack_tcb_t *tcb) {
  if (!tcb->errq) tcb->errq = synack_mem_alloc(st, sizeof *tcb->errq);
  return tcb->errq;
}

void synack_tcp_errq_free(synack_stack_t *st, synack_tcb_t *tcb) {
  synack_errq_t *q = tcb->errq;
  if (!q) return;
  if (q->q) synack_mem_free(st, q->q, q->qcap * sizeof *q->q);
  if (q->zc) synack_mem_free(st, q->zc, q->zc_cap * sizeof *q->zc);
  if (q->ts) synack_mem_free(st, q->ts, q->ts_cap * sizeof *q->ts);
  synack_mem_free(st, q, sizeof *q);
  tcb->errq = NULL;
}

/* Grows a ring (kept in order from head) to hold one more, up to max; false when full. */
static bool ring_grow(synack_stack_t *st, void **ring, uint32_t *head, uint32_t n, uint32_t *cap, size_t sz,
                      uint32_t max) {
  if (n < *cap) return true;
  if (*cap >= max) return false;
  uint32_t ncap = *cap ? *cap * 2u : 16u;
  unsigned char *nr = synack_mem_alloc(st, ncap * sz);
  if (!nr) return false;
  for (uint32_t k = 0; k < n; k++) memcpy(nr + k * sz, (unsigned char *)*ring + ((*head + k) % *cap) * sz, sz);
  if (*ring) synack_mem_free(st, *ring, *cap * sz);
  *ring = nr;
  *head = 0;
  *cap = ncap;
  return true;
}

static void post(synack_stack_t *st, synack_tcb_t *tcb, const synack_sock_err_t *e) {
  synack_errq_t *q = tcb->errq;
  if (q->qn) {
    synack_sock_err_t *tail = &q->q[(q->qhead + q->qn - 1u) % q->qcap];
    /* Linux's skb_zerocopy_notify_extend: a range that continues the tail's (whatever its
     * code) widens it, as long as the sum stays under 2^32 ids */
    if (e->origin == SYNACK_EE_ORIGIN_ZEROCOPY && tail->origin == SYNACK_EE_ORIGIN_ZEROCOPY &&
        e->info == tail->data + 1u && (uint64_t)tail->data - tail->info + 1u + (e->data - e->info + 1u) < (UINT64_C(1) << 32)) {
      tail->data = e->data;
      return;
    }
  }
  /* full: the report is lost, as Linux's when the receive buffer's memory is exhausted */
  if (!ring_grow(st, (void **)&q->q, &q->qhead, q->qn, &q->qcap, sizeof *q->q, ERRQ_MAX)) return;
  q->q[(q->qhead + q->qn) % q->qcap] = *e;
  q->qn++;
  synack_tcp_post(st, tcb, SYNACK_EV_ERRQUEUE, 0);
}

static void zc_complete(synack_stack_t *st, synack_tcb_t *tcb, const zc_rec_t *r) {
  synack_sock_err_t e;
  memset(&e, 0, sizeof e);
  e.origin = SYNACK_EE_ORIGIN_ZEROCOPY;
  e.code = SYNACK_EE_CODE_ZEROCOPY_COPIED; /* the data was copied, never sent from user memory */
  e.info = r->lo;
  e.data = r->hi;
  post(st, tcb, &e);
}

/* Bytes of IP and TCP header (with the options of a data segment) before a report's payload. */
static uint32_t hdr_len(const synack_tcb_t *tcb) {
  uint32_t ip = tcb->node.t.family == SYNACK_AF_INET6 ? 40u : 20u;
  return ip + SYNACK_TCP_HDR_LEN + ((tcb->flags & TF_TS_OK) ? 12u : 0u) + synack_tcp_sig_optlen(tcb);
}

static void ts_report(synack_stack_t *st, synack_tcb_t *tcb, const ts_rec_t *r, uint32_t type, uint32_t pkt_len,
                      synack_time_t now) {
  synack_errq_t *q = tcb->errq;
  synack_sock_err_t e;
  memset(&e, 0, sizeof e);
  /* Without OPT_TSONLY Linux attaches the packet the stamp was taken on: at SCHED the skb as
   * queued, at SND the segment the device sent, at ACK the payload of the acknowledged skb */
  if (!(q->tsflags & SYNACK_SOF_TIMESTAMPING_OPT_TSONLY)) e.pkt_len = pkt_len;
  e.err = SYNACK_ENOMSG;
  e.origin = SYNACK_EE_ORIGIN_TIMESTAMPING;
  e.info = type;
  /* OPT_ID: the byte's offset from the origin; without it Linux reports 0 */
  if (q->tsflags & SYNACK_SOF_TIMESTAMPING_OPT_ID) e.data = (uint32_t)seq_diff(r->key, q->tskey);
  if (q->tsflags & SYNACK_SOF_TIMESTAMPING_SOFTWARE) {
    e.has_time = true;
    e.time = now;
  }
  post(st, tcb, &e);
}

int synack_tcp_errq_set_zerocopy(synack_stack_t *st, synack_tcb_t *tcb, int on) {
  if (on < 0 || on > 1) return -SYNACK_EINVAL;
  if (!on && !tcb->errq) return 0;
  synack_errq_t *q = errq_get(st, tcb);
  if (!q) return -SYNACK_ENOMEM;
  q->zerocopy = on != 0;
  return 0;
}

int synack_tcp_errq_get_zerocopy(const synack_tcb_t *tcb) { return tcb->errq && tcb->errq->zerocopy; }

int synack_tcp_errq_set_timestamping(synack_stack_t *st, synack_tcb_t *tcb, int flags) {
  uint32_t f = (uint32_t)flags;
  if (flags < 0 || (f & ~SYNACK_SOF_TIMESTAMPING_MASK)) return -SYNACK_EINVAL;
  if (!f && !tcb->errq) return 0;
  uint32_t old = tcb->errq ? tcb->errq->tsflags : 0;
  /* Linux's sock_set_timestamping: OPT_ID needs a TCP connection (its origin is SND.UNA) */
  if ((f & SYNACK_SOF_TIMESTAMPING_OPT_ID) && !(old & SYNACK_SOF_TIMESTAMPING_OPT_ID) &&
      (tcb->state == SYNACK_TCP_CLOSED || tcb->state == SYNACK_TCP_LISTEN))
    return -SYNACK_EINVAL;
  synack_errq_t *q = errq_get(st, tcb);
  if (!q) return -SYNACK_ENOMEM;
  if ((f & SYNACK_SOF_TIMESTAMPING_OPT_ID) && !(old & SYNACK_SOF_TIMESTAMPING_OPT_ID))
    q->tskey = (f & SYNACK_SOF_TIMESTAMPING_OPT_ID_TCP) ? seq_add(tcb->snd_buf_seq, tcb->sb.len) : tcb->snd_una;
  q->tsflags = f;
  return 0;
}

void synack_tcp_errq_inherit(synack_stack_t *st, synack_tcb_t *child, const synack_tcb_t *listener) {
  const synack_errq_t *l = listener->errq;
  if (!l || (!l->zerocopy && !l->tsflags)) return;
  synack_errq_t *q = errq_get(st, child);
  if (!q) return; /* no memory: the connection reports nothing, as if the options were off */
  q->zerocopy = l->zerocopy;
  q->tsflags = l->tsflags; /* never OPT_ID: a listener cannot have it */
}

int synack_tcp_errq_get_timestamping(const synack_tcb_t *tcb) { return tcb->errq ? (int)tcb->errq->tsflags : 0; }

void synack_tcp_errq_sending(synack_stack_t *st, synack_tcb_t *tcb, synack_seq_t start, uint32_t len, int flags) {
  synack_errq_t *q = tcb->errq;
  if (!q || len == 0) return;
  synack_seq_t end = seq_add(start, len);
  if ((flags & SYNACK_MSG_ZEROCOPY) && q->zerocopy) {
    zc_rec_t *last = q->zc_n ? &q->zc[(q->zc_head + q->zc_n - 1u) % q->zc_cap] : NULL;
    /* the previous record ends where this send starts and part of it is unsent: one record */
    if (last && seq_eq(last->end, start) && seq_lt(tcb->snd_max, start) && last->hi + 1u == q->zc_next) {
      last->end = end;
      last->hi = q->zc_next++;
    } else if (ring_grow(st, (void **)&q->zc, &q->zc_head, q->zc_n, &q->zc_cap, sizeof *q->zc, PEND_MAX)) {
      zc_rec_t *r = &q->zc[(q->zc_head + q->zc_n) % q->zc_cap];
      r->end = end;
      r->lo = r->hi = q->zc_next++;
      q->zc_n++;
    }
  }
  uint32_t rec = q->tsflags & (SYNACK_SOF_TIMESTAMPING_TX_SCHED | SYNACK_SOF_TIMESTAMPING_TX_SOFTWARE |
                               SYNACK_SOF_TIMESTAMPING_TX_ACK);
  if (rec && ring_grow(st, (void **)&q->ts, &q->ts_head, q->ts_n, &q->ts_cap, sizeof *q->ts, PEND_MAX)) {
    ts_rec_t *r = &q->ts[(q->ts_head + q->ts_n) % q->ts_cap];
    r->key = seq_add(end, (uint32_t)-1); /* Linux's tskey: the send's last byte */
    r->tsflags = rec;
    r->wlen = len % SKB_MAX ? len % SKB_MAX : SKB_MAX;
    r->sent = false;
    q->ts_n++;
  }
}

void synack_tcp_errq_sent(synack_stack_t *st, synack_tcb_t *tcb, synack_seq_t start, synack_seq_t end, synack_time_t now) {
  synack_errq_t *q = tcb->errq;
  if (!q) return;
  for (uint32_t k = 0; k < q->ts_n; k++) {
    ts_rec_t *r = &q->ts[(q->ts_head + k) % q->ts_cap];
    if (seq_ge(r->key, end)) break;
    if (r->sent || seq_lt(r->key, start)) continue;
    r->sent = true;
    /* the queueing discipline sees it first, then the device (SCHED before SND) */
    uint32_t h = hdr_len(tcb);
    if (r->tsflags & SYNACK_SOF_TIMESTAMPING_TX_SCHED) ts_report(st, tcb, r, SYNACK_SCM_TSTAMP_SCHED, h + r->wlen, now);
    if (r->tsflags & SYNACK_SOF_TIMESTAMPING_TX_SOFTWARE)
      ts_report(st, tcb, r, SYNACK_SCM_TSTAMP_SND, h + (uint32_t)seq_diff(end, start), now);
  }
}

void synack_tcp_errq_acked(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now) {
  synack_errq_t *q = tcb->errq;
  while (q->ts_n) {
    ts_rec_t *r = &q->ts[q->ts_head];
    if (!seq_lt(r->key, tcb->snd_una)) break;
    if (r->tsflags & SYNACK_SOF_TIMESTAMPING_TX_ACK) ts_report(st, tcb, r, SYNACK_SCM_TSTAMP_ACK, r->wlen, now);
    q->ts_head = (q->ts_head + 1u) % q->ts_cap;
    q->ts_n--;
  }
  while (q->zc_n) {
    zc_rec_t *r = &q->zc[q->zc_head];
    if (seq_gt(r->end, tcb->snd_una)) break;
    zc_complete(st, tcb, r);
    q->zc_head = (q->zc_head + 1u) % q->zc_cap;
    q->zc_n--;
  }
}

void synack_tcp_errq_purge(synack_stack_t *st, synack_tcb_t *tcb) {
  synack_errq_t *q = tcb->errq;
  if (!q) return;
  /* The connection ended: its data is freed, so every zerocopy send completes (Linux frees the
   * skbs and with them the last references); timestamps not yet due never come. */
  while (q->zc_n) {
    zc_complete(st, tcb, &q->zc[q->zc_head]);
    q->zc_head = (q->zc_head + 1u) % q->zc_cap;
    q->zc_n--;
  }
  q->ts_n = 0;
}

bool synack_tcp_errq_pending(const synack_tcb_t *tcb) { return tcb->errq && tcb->errq->qn; }

int synack_tcp_errq_pop(synack_tcb_t *tcb, synack_sock_err_t *out) {
  synack_errq_t *q = tcb->errq;
  if (!q || !q->qn) return -SYNACK_EAGAIN;
  *out = q->q[q->qhead];
  q->qhead = (q->qhead + 1u) % q->qcap;
  q->qn--;
  return 0;
}
