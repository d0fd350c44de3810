// The relay's core: framing, flushing, reading VNC, and its libuv polls.
#define _GNU_SOURCE
#include "relay.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

// Writes the header of an n-byte frame so that it ends where the payload
// begins (frame + FRAME_HEADROOM); the payload is spliced unless copied.
static void set_header(relay_t *r, size_t n) {
  uint8_t header[FRAME_HEADROOM];
  size_t len;
  header[0] = 0x82; // FIN, binary
  if (n < 126) {
    header[1] = (uint8_t)n;
    len = 2;
  } else if (n < 65536) {
    header[1] = 126;
    header[2] = (uint8_t)(n >> 8);
    header[3] = (uint8_t)n;
    len = 4;
  } else {
    header[1] = 127;
    for (int i = 0; i < 8; i++)
      header[2 + i] = (uint8_t)((uint64_t)n >> (56 - 8 * i));
    len = 10;
  }
  r->frame_off = FRAME_HEADROOM - len;
  memcpy(r->frame + r->frame_off, header, len);
  r->frame_len = FRAME_HEADROOM;
  r->payload_left = n;
}

// A frame whose payload was read to frame + FRAME_HEADROOM: header and
// payload leave in one write.
static void set_copied_frame(relay_t *r, size_t n) {
  set_header(r, n);
  r->frame_len += n;
  r->payload_left = 0;
  r->relayed += (uint64_t)n;
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
  while (r->frame_off < r->frame_len) {
    ssize_t n = write(r->dst, r->frame + r->frame_off,
                      r->frame_len - r->frame_off);
    if (n < 0) return errno == EAGAIN ? 0 : -1;
    r->frame_off += (size_t)n;
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

// kind: "viewer-gone" when the browser's socket failed (the viewer left,
// often right after its close frame: nothing owed can be written any more),
// "error" for the VNC side or the poll.
static void fail(relay_t *r, const char *kind, const char *where) {
  r->failed = 1;
  char detail[160];
  snprintf(detail, sizeof detail, "%s: %s", where, strerror(errno));
  watch(r, 0);
  relay_emit(r, kind, detail);
}

// Moves data until the browser socket is full, the VNC socket is empty, or
// this wake-up's share is used.
static void pump(relay_t *r) {
  for (int frames = 0; !r->closed && !r->failed; frames++) {
    int flushed = flush(r);
    if (flushed < 0) return fail(r, "viewer-gone", "write to browser");
    if (flushed == 0) return watch(r, 1);
    if (r->notify_drained) {
      r->notify_drained = 0;
      relay_emit(r, "drained", NULL);
      if (r->closed) return;
    }
    if (!r->started || r->src_ended || frames >= FRAMES_PER_WAKE)
      return watch(r, 0);
    ssize_t n;
    if (r->copy_batches) {
      n = read(r->src, r->frame + FRAME_HEADROOM, FRAME_MAX);
      if (n > 0) {
        set_copied_frame(r, (size_t)n);
        continue;
      }
    } else {
      int available = 0;
      if (ioctl(r->src, FIONREAD, &available) == 0 && available > 0 &&
          available <= INLINE_MAX) {
        n = read(r->src, r->frame + FRAME_HEADROOM, (size_t)available);
        if (n > 0) {
          set_copied_frame(r, (size_t)n);
          continue;
        }
      }
      n = splice(r->src, NULL, r->pipe_w, NULL, FRAME_MAX,
                 SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
    }
    if (n < 0 && errno == EAGAIN) return watch(r, 0);
    if (n < 0) return fail(r, "error", "read from VNC");
    if (n == 0) {
      r->src_ended = 1;
      watch(r, 0);
      relay_emit(r, "end", NULL);
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
    return fail(r, "error", "poll");
  }
  pump(r);
}

static void free_relay(relay_t *r) {
  while (r->queue_head) {
    queued_t *q = r->queue_head;
    r->queue_head = q->next;
    free(q);
  }
  free(r->frame);
  free(r);
}

void relay_release(relay_t *r) {
  if (--r->holders == 0) free_relay(r);
}

static void on_poll_closed(uv_handle_t *handle) {
  relay_release(handle->data);
}

// Stops watching, closes the duplicated descriptors and the pipe (if any).
// Node's own sockets stay open; their owners close them. uv_close invalidates the poll's
// descriptor at once, so closing the descriptor right after is safe.
void relay_close(relay_t *r) {
  if (r->closed) return;
  r->closed = 1;
  uv_poll_stop(&r->src_poll);
  uv_poll_stop(&r->dst_poll);
  uv_close((uv_handle_t *)&r->src_poll, on_poll_closed);
  uv_close((uv_handle_t *)&r->dst_poll, on_poll_closed);
  close(r->src);
  close(r->dst);
  if (r->pipe_r >= 0) close(r->pipe_r);
  if (r->pipe_w >= 0) close(r->pipe_w);
}

int relay_init(relay_t *r, uv_loop_t *loop, int src_fd, int dst_fd) {
  int pipefd[2] = {-1, -1};
  int domain = 0;
  socklen_t domain_len = sizeof domain;
  getsockopt(src_fd, SOL_SOCKET, SO_DOMAIN, &domain, &domain_len);
  // Splicing from a unix socket saves CPU but halves throughput (measured
  // with bench/gateway: 1.06x websockify spliced, 1.35x copied); from TCP
  // it is the fastest path (1.44x, at half the CPU of copying).
  r->copy_batches = domain == AF_UNIX;
  size_t largest_copy = r->copy_batches ? FRAME_MAX : INLINE_MAX;
  r->frame = malloc(FRAME_HEADROOM + largest_copy);
  if (!r->frame) return -1;
  r->src = fcntl(src_fd, F_DUPFD_CLOEXEC, 0);
  r->dst = fcntl(dst_fd, F_DUPFD_CLOEXEC, 0);
  // Only a splicing relay needs the pipe.
  if (r->src < 0 || r->dst < 0 ||
      (!r->copy_batches && pipe2(pipefd, O_NONBLOCK | O_CLOEXEC) < 0)) {
    int error = errno;
    if (r->src >= 0) close(r->src);
    if (r->dst >= 0) close(r->dst);
    free(r->frame);
    errno = error;
    return -1;
  }
  r->pipe_r = pipefd[0];
  r->pipe_w = pipefd[1];
  // A smaller pipe only means smaller frames.
  if (r->pipe_w >= 0) fcntl(r->pipe_w, F_SETPIPE_SZ, FRAME_MAX);
  uv_poll_init(loop, &r->src_poll, r->src);
  uv_poll_init(loop, &r->dst_poll, r->dst);
  r->src_poll.data = r->dst_poll.data = r;
  r->holders = 3;
  return 0;
}

void relay_start(relay_t *r) {
  r->started = 1;
  watch(r, r->frame_off < r->frame_len || r->payload_left || r->queue_head);
}

int relay_enqueue(relay_t *r, const void *data, size_t len) {
  if (len == 0 || r->failed) return 0;
  queued_t *q = malloc(sizeof *q + len);
  if (!q) return -1;
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
  return 0;
}

// On the relay's duplicate of the VNC socket: no stream, no write request,
// no completion callback - the viewer's keystrokes reach QEMU a few
// microseconds sooner than through Node's socket. MSG_NOSIGNAL: a closed
// peer is an error to report, not a signal.
ssize_t relay_write_to_vnc(relay_t *r, const void *data, size_t len) {
  ssize_t n = send(r->src, data, len, MSG_NOSIGNAL | MSG_DONTWAIT);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return 0;
  return n;
}

void relay_want_drained(relay_t *r) {
  r->notify_drained = 1;
  uv_poll_start(&r->dst_poll, UV_WRITABLE, on_poll);
}

void relay_stop_reading(relay_t *r) {
  r->src_ended = 1;
  uv_poll_stop(&r->src_poll);
  // The session is over: end the VNC connection now. Node closing its own
  // descriptor would not, while this duplicate keeps the socket open until
  // the browser side is done too (up to ws's close timeout). shutdown(2)
  // acts on the socket, whoever holds descriptors of it.
  if (!r->closed) shutdown(r->src, SHUT_RDWR);
}
