// The relay's state machine, shared by its Node-API bindings
// (splice_relay.c) and its core (relay.c). See splice_relay.c for the design.
#ifndef LOCO_RELAY_H
#define LOCO_RELAY_H
#ifndef NAPI_VERSION
#define NAPI_VERSION 8
#endif
#include <node_api.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <uv.h>

// Most bytes per frame, and the pipe's capacity. Bigger frames save the relay
// little (measured: 1 MiB vs 64 KiB, 0.22 vs 0.26 CPU-s per GB) but make the
// browser wait for, and reassemble, the whole frame before it sees any of it.
#define FRAME_MAX (1 << 18)
// Smaller batches are copied: header and payload then leave in one write, one
// TCP segment, and the browser wakes once (splicing would send two).
#define INLINE_MAX 4096
// Frames per wake-up before yielding to the event loop, so one busy screen
// cannot starve input and other sessions.
#define FRAMES_PER_WAKE 4
// Room for the longest frame header (RFC 6455: 2 + 8 length bytes).
#define FRAME_HEADROOM 10

typedef struct queued {
  struct queued *next;
  size_t len, off;
  uint8_t data[];
} queued_t;

typedef struct {
  // pipe_r and pipe_w are -1 for a copying relay (no pipe).
  int src, dst, pipe_r, pipe_w;
  uv_poll_t src_poll, dst_poll;
  // The two poll handles and the JS object each hold the memory.
  int holders;
  // The current frame: its header ends at frame + FRAME_HEADROOM, followed
  // by its payload when that was copied (frame_len covers both). A spliced
  // payload (payload_left bytes) waits in the pipe.
  uint8_t *frame;
  size_t frame_len, frame_off;
  size_t payload_left;
  // Copy every batch instead of splicing (VNC over a unix socket).
  int copy_batches;
  queued_t *queue_head, *queue_tail;
  size_t queued_bytes;
  uint64_t relayed;
  int started, closed, src_ended, failed, notify_drained;
  napi_env env;
  napi_ref on_event;
  napi_async_context async_context;
} relay_t;

/** Duplicates both descriptors, makes the pipe, initialises the polls.
 * Returns 0, or -1 with errno set (nothing left open). */
int relay_init(relay_t *r, uv_loop_t *loop, int src_fd, int dst_fd);
/** Starts relaying VNC to the browser. */
void relay_start(relay_t *r);
/** Queues bytes written between data frames; -1 when out of memory. */
int relay_enqueue(relay_t *r, const void *data, size_t len);
/** Writes the viewer's input to VNC now: the bytes written (0 when the
 * socket is full), or -1 with errno set. */
ssize_t relay_write_to_vnc(relay_t *r, const void *data, size_t len);
/** Asks for one 'drained' event once nothing is owed. */
void relay_want_drained(relay_t *r);
/** No more VNC data, and the VNC connection is shut down (the session is
 * over); what is owed to the browser is still written. */
void relay_stop_reading(relay_t *r);
/** Stops the polls and closes the relay's own descriptors (idempotent). */
void relay_close(relay_t *r);
/** Drops one holder of the memory (a poll handle or the JS object). */
void relay_release(relay_t *r);
/** Implemented by the bindings: tells JavaScript (kind, detail). */
void relay_emit(relay_t *r, const char *kind, const char *detail);

#endif
