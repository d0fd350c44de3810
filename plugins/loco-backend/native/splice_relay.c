// Zero-copy VNC-to-browser relay for the Loco gateway (Linux, Node-API).
//
// A proxy that reads into user space and writes back out copies every byte
// twice through the CPU; on loopback that is ~0.5 CPU-s per GB even in C.
// splice(2) moves the VNC server's socket pages into a pipe and from the pipe
// into the browser's socket without copying them. Each batch goes out as one
// unmasked binary WebSocket frame (RFC 6455 5.2): a header written with
// write(2), then the payload spliced.
//
// The relay owns the browser socket's write direction for the whole session:
// other frames (pings, close frames, anything ws sends) are queued with
// write() and go out between data frames, never inside one. It reads the VNC
// socket only while the browser keeps up, so a slow browser slows the VNC
// server through TCP flow control instead of growing a buffer.
//
// Both file descriptors are dup()ed: Node keeps its own handles (reading the
// browser's input, writing the viewer's input to VNC), and libuv allows only
// one poll watcher per descriptor.
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <errno.h>
#include <fcntl.h>
#include <node_api.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
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

typedef struct queued {
  struct queued *next;
  size_t len, off;
  uint8_t data[];
} queued_t;

typedef struct {
  int src, dst, pipe_r, pipe_w;
  uv_poll_t src_poll, dst_poll;
  // The two poll handles and the JS object each hold the memory.
  int holders;
  // The current frame's header, followed by its payload when it was copied.
  uint8_t header[10 + INLINE_MAX];
  size_t header_len, header_off;
  size_t payload_left;
  queued_t *queue_head, *queue_tail;
  size_t queued_bytes;
  uint64_t relayed;
  int started, closed, src_ended, failed, notify_drained;
  napi_env env;
  napi_ref on_event;
  napi_async_context async_context;
} relay_t;

static void set_header(relay_t *r, size_t n) {
  r->header[0] = 0x82; // FIN, binary
  if (n < 126) {
    r->header[1] = (uint8_t)n;
    r->header_len = 2;
  } else if (n < 65536) {
    r->header[1] = 126;
    r->header[2] = (uint8_t)(n >> 8);
    r->header[3] = (uint8_t)n;
    r->header_len = 4;
  } else {
    r->header[1] = 127;
    for (int i = 0; i < 8; i++)
      r->header[2 + i] = (uint8_t)((uint64_t)n >> (56 - 8 * i));
    r->header_len = 10;
  }
  r->header_off = 0;
  r->payload_left = n;
}

// A frame whose payload was read into header + 10: moves the payload to just
// after the header, so the whole frame is one write.
static void set_inline_frame(relay_t *r, size_t n) {
  set_header(r, n);
  if (r->header_len < 10)
    memmove(r->header + r->header_len, r->header + 10, n);
  r->header_len += n;
  r->payload_left = 0;
  r->relayed += (uint64_t)n;
}

// Calls the JS callback (kind, detail) from a libuv callback.
static void emit(relay_t *r, const char *kind, const char *detail) {
  napi_env env = r->env;
  if (!r->on_event) return;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value fn, recv, argv[2], result;
  napi_get_reference_value(env, r->on_event, &fn);
  napi_get_global(env, &recv);
  napi_create_string_utf8(env, kind, NAPI_AUTO_LENGTH, &argv[0]);
  napi_create_string_utf8(env, detail ? detail : "", NAPI_AUTO_LENGTH,
                          &argv[1]);
  if (fn) napi_make_callback(env, r->async_context, recv, fn, 2, argv, &result);
  napi_close_handle_scope(env, scope);
}

static void on_poll(uv_poll_t *handle, int status, int events);

static void watch(relay_t *r, int want_out) {
  if (r->closed) return;
  if (want_out) {
    uv_poll_stop(&r->src_poll);
    uv_poll_start(&r->dst_poll, UV_WRITABLE, on_poll);
  } else {
    uv_poll_stop(&r->dst_poll);
    if (r->started && !r->src_ended && !r->failed)
      uv_poll_start(&r->src_poll, UV_READABLE, on_poll);
    else
      uv_poll_stop(&r->src_poll);
  }
}

// Writes what is owed to the browser: the rest of the current frame, then the
// queued frames. Returns 1 when all is written, 0 when the socket is full,
// -1 (errno set) on failure.
static int flush(relay_t *r) {
  while (r->header_off < r->header_len) {
    ssize_t n = write(r->dst, r->header + r->header_off,
                      r->header_len - r->header_off);
    if (n < 0) return errno == EAGAIN ? 0 : -1;
    r->header_off += (size_t)n;
  }
  while (r->payload_left > 0) {
    ssize_t n = splice(r->pipe_r, NULL, r->dst, NULL, r->payload_left,
                       SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
    if (n < 0) return errno == EAGAIN ? 0 : -1;
    if (n == 0) {
      errno = EPIPE;
      return -1;
    }
    r->payload_left -= (size_t)n;
    r->relayed += (uint64_t)n;
  }
  while (r->queue_head) {
    queued_t *q = r->queue_head;
    ssize_t n = write(r->dst, q->data + q->off, q->len - q->off);
    if (n < 0) return errno == EAGAIN ? 0 : -1;
    q->off += (size_t)n;
    r->queued_bytes -= (size_t)n;
    if (q->off < q->len) continue;
    r->queue_head = q->next;
    if (!r->queue_head) r->queue_tail = NULL;
    free(q);
  }
  return 1;
}

static void fail(relay_t *r, const char *where) {
  r->failed = 1;
  char detail[160];
  snprintf(detail, sizeof detail, "%s: %s", where, strerror(errno));
  watch(r, 0);
  emit(r, "error", detail);
}

// Moves data until the browser socket is full, the VNC socket is empty, or
// this wake-up's share is used.
static void pump(relay_t *r) {
  for (int frames = 0; !r->closed && !r->failed; frames++) {
    int flushed = flush(r);
    if (flushed < 0) return fail(r, "write to browser");
    if (flushed == 0) return watch(r, 1);
    if (r->notify_drained) {
      r->notify_drained = 0;
      emit(r, "drained", NULL);
      if (r->closed) return;
    }
    if (!r->started || r->src_ended || frames >= FRAMES_PER_WAKE)
      return watch(r, 0);
    int available = 0;
    if (ioctl(r->src, FIONREAD, &available) == 0 && available > 0 &&
        available <= INLINE_MAX) {
      ssize_t n = read(r->src, r->header + 10, (size_t)available);
      if (n > 0) {
        set_inline_frame(r, (size_t)n);
        continue;
      }
    }
    ssize_t n = splice(r->src, NULL, r->pipe_w, NULL, FRAME_MAX,
                       SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
    if (n < 0 && errno == EAGAIN) return watch(r, 0);
    if (n < 0) return fail(r, "read from VNC");
    if (n == 0) {
      r->src_ended = 1;
      watch(r, 0);
      emit(r, "end", NULL);
      return;
    }
    set_header(r, (size_t)n);
  }
}

static void on_poll(uv_poll_t *handle, int status, int events) {
  (void)events;
  relay_t *r = handle->data;
  if (r->closed) return;
  if (status < 0) {
    errno = -status;
    return fail(r, "poll");
  }
  pump(r);
}

static void free_relay(relay_t *r) {
  while (r->queue_head) {
    queued_t *q = r->queue_head;
    r->queue_head = q->next;
    free(q);
  }
  free(r);
}

static void release(relay_t *r) {
  if (--r->holders == 0) free_relay(r);
}

static void on_poll_closed(uv_handle_t *handle) { release(handle->data); }

// Stops watching, closes the duplicated descriptors and the pipe. Node's own
// sockets stay open; their owners close them.
static void close_relay(relay_t *r) {
  if (r->closed) return;
  r->closed = 1;
  uv_poll_stop(&r->src_poll);
  uv_poll_stop(&r->dst_poll);
  uv_close((uv_handle_t *)&r->src_poll, on_poll_closed);
  uv_close((uv_handle_t *)&r->dst_poll, on_poll_closed);
  close(r->src);
  close(r->dst);
  close(r->pipe_r);
  close(r->pipe_w);
  napi_delete_reference(r->env, r->on_event);
  r->on_event = NULL;
  napi_async_destroy(r->env, r->async_context);
}

#define CHECK(call)                                                            \
  do {                                                                         \
    if ((call) != napi_ok) {                                                   \
      napi_throw_error(env, NULL, "splice relay: " #call " failed");           \
      return NULL;                                                             \
    }                                                                          \
  } while (0)

static relay_t *unwrap(napi_env env, napi_callback_info info, size_t *argc,
                       napi_value *argv) {
  napi_value self;
  void *data;
  if (napi_get_cb_info(env, info, argc, argv, &self, NULL) != napi_ok ||
      napi_unwrap(env, self, &data) != napi_ok) {
    napi_throw_error(env, NULL, "splice relay: not a relay");
    return NULL;
  }
  relay_t *r = data;
  if (r->closed) {
    napi_throw_error(env, NULL, "splice relay: closed");
    return NULL;
  }
  return r;
}

// The relay behind `this` of a method without arguments, or return (a JS
// exception is pending).
#define RELAY_OR_THROW(r)                                                      \
  relay_t *r = unwrap(env, info, NULL, NULL);                                  \
  if (!r) return NULL

static void finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  relay_t *r = data;
  close_relay(r);
  release(r);
}

// new Relay(srcFd, dstFd, onEvent)
static napi_value relay_new(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3], self;
  CHECK(napi_get_cb_info(env, info, &argc, argv, &self, NULL));
  int32_t src, dst;
  if (argc < 3 || napi_get_value_int32(env, argv[0], &src) != napi_ok ||
      napi_get_value_int32(env, argv[1], &dst) != napi_ok) {
    napi_throw_type_error(env, NULL, "Relay(srcFd, dstFd, onEvent)");
    return NULL;
  }
  relay_t *r = calloc(1, sizeof *r);
  if (!r) {
    napi_throw_error(env, NULL, "splice relay: out of memory");
    return NULL;
  }
  int pipefd[2];
  r->src = fcntl(src, F_DUPFD_CLOEXEC, 0);
  r->dst = fcntl(dst, F_DUPFD_CLOEXEC, 0);
  if (r->src < 0 || r->dst < 0 || pipe2(pipefd, O_NONBLOCK | O_CLOEXEC) < 0) {
    char message[120];
    snprintf(message, sizeof message, "splice relay: %s", strerror(errno));
    if (r->src >= 0) close(r->src);
    if (r->dst >= 0) close(r->dst);
    free(r);
    napi_throw_error(env, NULL, message);
    return NULL;
  }
  r->pipe_r = pipefd[0];
  r->pipe_w = pipefd[1];
  // A smaller pipe only means smaller frames.
  fcntl(r->pipe_w, F_SETPIPE_SZ, FRAME_MAX);
  r->env = env;
  uv_loop_t *loop;
  napi_value name;
  CHECK(napi_get_uv_event_loop(env, &loop));
  CHECK(napi_create_reference(env, argv[2], 1, &r->on_event));
  CHECK(napi_create_string_utf8(env, "LocoSpliceRelay", NAPI_AUTO_LENGTH,
                                &name));
  CHECK(napi_async_init(env, self, name, &r->async_context));
  uv_poll_init(loop, &r->src_poll, r->src);
  uv_poll_init(loop, &r->dst_poll, r->dst);
  r->src_poll.data = r->dst_poll.data = r;
  r->holders = 3;
  CHECK(napi_wrap(env, self, r, finalize, NULL, NULL));
  return self;
}

// relay.start(): begin relaying VNC to the browser.
static napi_value relay_start(napi_env env, napi_callback_info info) {
  RELAY_OR_THROW(r);
  r->started = 1;
  watch(r, r->header_off < r->header_len || r->payload_left || r->queue_head);
  return NULL;
}

// relay.write(buffer): whole WebSocket frames from ws, sent between data frames.
static napi_value relay_write(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  relay_t *r = unwrap(env, info, &argc, argv);
  if (!r) return NULL;
  void *data;
  size_t len;
  if (argc < 1 || napi_get_buffer_info(env, argv[0], &data, &len) != napi_ok) {
    napi_throw_type_error(env, NULL, "relay.write(buffer)");
    return NULL;
  }
  if (len == 0 || r->failed) return NULL;
  queued_t *q = malloc(sizeof *q + len);
  if (!q) {
    napi_throw_error(env, NULL, "splice relay: out of memory");
    return NULL;
  }
  memcpy(q->data, data, len);
  q->len = len;
  q->off = 0;
  q->next = NULL;
  if (r->queue_tail)
    r->queue_tail->next = q;
  else
    r->queue_head = q;
  r->queue_tail = q;
  r->queued_bytes += len;
  // Written now when no frame is half sent; errors surface through the poll.
  if (flush(r) == 0) watch(r, 1);
  return NULL;
}

// relay.onDrained(): emit 'drained' once everything owed is written.
static napi_value relay_on_drained(napi_env env, napi_callback_info info) {
  RELAY_OR_THROW(r);
  r->notify_drained = 1;
  uv_poll_start(&r->dst_poll, UV_WRITABLE, on_poll);
  return NULL;
}

// relay.stopReading(): no more VNC data; what is owed is still written (a
// close frame must not follow screen data that was still coming).
static napi_value relay_stop_reading(napi_env env, napi_callback_info info) {
  RELAY_OR_THROW(r);
  r->src_ended = 1;
  uv_poll_stop(&r->src_poll);
  return NULL;
}

// relay.takeRelayedBytes(): payload bytes spliced since the last call.
static napi_value relay_take_bytes(napi_env env, napi_callback_info info) {
  napi_value result;
  RELAY_OR_THROW(r);
  CHECK(napi_create_double(env, (double)r->relayed, &result));
  r->relayed = 0;
  return result;
}

// relay.close(): idempotent.
static napi_value relay_close(napi_env env, napi_callback_info info) {
  napi_value self;
  void *data;
  CHECK(napi_get_cb_info(env, info, NULL, NULL, &self, NULL));
  if (napi_unwrap(env, self, &data) == napi_ok) close_relay(data);
  return NULL;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor methods[] = {
      {"start", NULL, relay_start, NULL, NULL, NULL, napi_default, NULL},
      {"write", NULL, relay_write, NULL, NULL, NULL, napi_default, NULL},
      {"stopReading", NULL, relay_stop_reading, NULL, NULL, NULL,
       napi_default, NULL},
      {"onDrained", NULL, relay_on_drained, NULL, NULL, NULL, napi_default,
       NULL},
      {"takeRelayedBytes", NULL, relay_take_bytes, NULL, NULL, NULL,
       napi_default, NULL},
      {"close", NULL, relay_close, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_value constructor;
  if (napi_define_class(env, "Relay", NAPI_AUTO_LENGTH, relay_new, NULL,
                        sizeof methods / sizeof methods[0], methods,
                        &constructor) != napi_ok ||
      napi_set_named_property(env, exports, "Relay", constructor) != napi_ok)
    return NULL;
  return exports;
}
