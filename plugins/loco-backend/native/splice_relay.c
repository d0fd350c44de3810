// Zero-copy VNC-to-browser relay for the Loco gateway (Linux, Node-API).
//
// A proxy that reads into user space and writes back out copies every byte
// twice through the CPU; on loopback that is ~0.5 CPU-s per GB even in C.
// splice(2) moves the VNC server's socket pages into a pipe and from the pipe
// into the browser's socket without copying them. Each batch goes out as one
// unmasked binary WebSocket frame (RFC 6455 5.2): a header written with
// write(2), then the payload spliced.
//
// Splicing pays off only where the source hands over its pages: TCP does; a
// unix socket (local QEMU's VNC) does not, and splicing from it halved the
// throughput, so from unix sockets the relay reads each batch into its own
// buffer and writes header and payload in one write(2) - still no JavaScript
// on the path and one copy less than a JavaScript proxy.
//
// The relay owns the browser socket's write direction for the whole session:
// other frames (pings, close frames, anything ws sends) are queued with
// write() and go out between data frames, never inside one. It reads the VNC
// socket only while the browser keeps up, so a slow browser slows the VNC
// server through TCP flow control instead of growing a buffer.
//
// Both file descriptors are dup()ed: Node keeps its own handles (reading the
// browser's input, writing to VNC what did not fit at once), and libuv allows
// only one poll watcher per descriptor. The viewer's input, once ws has
// unmasked it and the RFB filter has passed it, is written to VNC through
// the relay's duplicate (writeToVnc): Node's stream machinery costs a few
// microseconds per keystroke.
//
// This file is the Node-API side (the Relay class); relay.c is the core.
#define _GNU_SOURCE
#include "relay.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// Calls the JS callback (kind, detail) from a libuv callback.
void relay_emit(relay_t *r, const char *kind, const char *detail) {
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

// Releases what JavaScript holds, then the relay's descriptors.
static void close_relay(relay_t *r) {
  if (r->closed) return;
  if (r->on_event) napi_delete_reference(r->env, r->on_event);
  r->on_event = NULL;
  napi_async_destroy(r->env, r->async_context);
  relay_close(r);
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
  relay_release(r);
}

// new Relay(srcFd, dstFd, onEvent)
static napi_value js_new(napi_env env, napi_callback_info info) {
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
  uv_loop_t *loop;
  napi_value name;
  CHECK(napi_get_uv_event_loop(env, &loop));
  if (relay_init(r, loop, src, dst) < 0) {
    char message[120];
    snprintf(message, sizeof message, "splice relay: %s", strerror(errno));
    free(r);
    napi_throw_error(env, NULL, message);
    return NULL;
  }
  r->env = env;
  CHECK(napi_create_reference(env, argv[2], 1, &r->on_event));
  CHECK(napi_create_string_utf8(env, "LocoSpliceRelay", NAPI_AUTO_LENGTH,
                                &name));
  CHECK(napi_async_init(env, self, name, &r->async_context));
  CHECK(napi_wrap(env, self, r, finalize, NULL, NULL));
  return self;
}

// relay.start(): begin relaying VNC to the browser.
static napi_value js_start(napi_env env, napi_callback_info info) {
  RELAY_OR_THROW(r);
  relay_start(r);
  return NULL;
}

// The relay behind `this` of a method taking one Buffer, and that buffer; or
// NULL (a JS exception is pending).
static relay_t *unwrap_with_buffer(napi_env env, napi_callback_info info,
                                   const char *usage, void **data,
                                   size_t *len) {
  size_t argc = 1;
  napi_value argv[1];
  relay_t *r = unwrap(env, info, &argc, argv);
  if (!r) return NULL;
  if (argc < 1 || napi_get_buffer_info(env, argv[0], data, len) != napi_ok) {
    napi_throw_type_error(env, NULL, usage);
    return NULL;
  }
  return r;
}

// relay.write(buffer): whole WebSocket frames from ws, sent between data
// frames.
static napi_value js_write(napi_env env, napi_callback_info info) {
  void *data;
  size_t len;
  relay_t *r =
      unwrap_with_buffer(env, info, "relay.write(buffer)", &data, &len);
  if (!r) return NULL;
  if (relay_enqueue(r, data, len) < 0)
    napi_throw_error(env, NULL, "splice relay: out of memory");
  return NULL;
}

// relay.writeToVnc(buffer): bytes written now (0 when the socket is full),
// or -1 when the write failed (the caller's own socket reports the error).
static napi_value js_write_to_vnc(napi_env env, napi_callback_info info) {
  void *data;
  size_t len;
  napi_value result;
  relay_t *r =
      unwrap_with_buffer(env, info, "relay.writeToVnc(buffer)", &data, &len);
  if (!r) return NULL;
  CHECK(napi_create_int64(env, relay_write_to_vnc(r, data, len), &result));
  return result;
}

// relay.onDrained(): emit 'drained' once everything owed is written.
static napi_value js_on_drained(napi_env env, napi_callback_info info) {
  RELAY_OR_THROW(r);
  relay_want_drained(r);
  return NULL;
}

// relay.stopReading(): no more VNC data; what is owed is still written (a
// close frame must not follow screen data that was still coming).
static napi_value js_stop_reading(napi_env env, napi_callback_info info) {
  RELAY_OR_THROW(r);
  relay_stop_reading(r);
  return NULL;
}

// relay.takeRelayedBytes(): payload bytes spliced since the last call.
static napi_value js_take_bytes(napi_env env, napi_callback_info info) {
  napi_value result;
  RELAY_OR_THROW(r);
  CHECK(napi_create_double(env, (double)r->relayed, &result));
  r->relayed = 0;
  return result;
}

// relay.close(): idempotent.
static napi_value js_close(napi_env env, napi_callback_info info) {
  napi_value self;
  void *data;
  CHECK(napi_get_cb_info(env, info, NULL, NULL, &self, NULL));
  if (napi_unwrap(env, self, &data) == napi_ok) close_relay(data);
  return NULL;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor methods[] = {
      {"start", NULL, js_start, NULL, NULL, NULL, napi_default, NULL},
      {"write", NULL, js_write, NULL, NULL, NULL, napi_default, NULL},
      {"writeToVnc", NULL, js_write_to_vnc, NULL, NULL, NULL, napi_default,
       NULL},
      {"stopReading", NULL, js_stop_reading, NULL, NULL, NULL,
       napi_default, NULL},
      {"onDrained", NULL, js_on_drained, NULL, NULL, NULL, napi_default,
       NULL},
      {"takeRelayedBytes", NULL, js_take_bytes, NULL, NULL, NULL,
       napi_default, NULL},
      {"close", NULL, js_close, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_value constructor;
  if (napi_define_class(env, "Relay", NAPI_AUTO_LENGTH, js_new, NULL,
                        sizeof methods / sizeof methods[0], methods,
                        &constructor) != napi_ok ||
      napi_set_named_property(env, exports, "Relay", constructor) != napi_ok)
    return NULL;
  return exports;
}
