// The user's input, as it happens, for give-back in milliseconds (X11). The watcher: XInput2 raw events, which the
// server pushes to a native thread as they happen (a 10 ms read of the screen saver counter cost ~1.6 % of a core
// between this process and the X server; events cost nothing while nobody types). The idle counter: the screen
// saver extension's, for the policy tick. libX11, libXi and libXss are opened at run time (Electron itself needs
// all three), so the addon builds and loads on machines without X. libX11 >= 1.8 is thread-safe by default, and
// each user has its own connection.
#include <napi.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "runtime-library.h"

#if defined(__linux__)
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#endif

namespace synor {

namespace {

#if defined(__linux__)
struct Display;
// Layouts as <X11/Xlib.h> and <X11/extensions/XInput2.h> declare them (the headers are not needed to build).
union EventStorage {
  int type;
  long pad[24];
};
struct GenericEventCookie {
  int type;
  unsigned long serial;
  int send_event;
  Display* display;
  int extension;
  int evtype;
  unsigned int cookie;
  void* data;
};
struct XIEventMask {
  int deviceid;
  int mask_len;
  unsigned char* mask;
};
using Window = unsigned long;
// XScreenSaverInfo as <X11/extensions/scrnsaver.h> lays it out.
struct ScreenSaverInfo {
  Window window;
  int state;
  int kind;
  unsigned long til_or_since;
  unsigned long idle;
  unsigned long eventMask;
};
using IoExitHandler = void (*)(Display*, void*);
using IoErrorHandler = int (*)(Display*);

struct X11 {
  Display* (*openDisplay)(const char*) = nullptr;
  int (*closeDisplay)(Display*) = nullptr;
  Window (*defaultRoot)(Display*) = nullptr;
  int (*free)(void*) = nullptr;
  // libX11 >= 1.7: lets a lost server end our use of the connection instead of exit()ing the whole app.
  void (*setIoExitHandler)(Display*, IoExitHandler, void*) = nullptr;
  IoErrorHandler (*setIoErrorHandler)(IoErrorHandler) = nullptr;
  int (*queryExtension)(Display*, int*, int*) = nullptr;
  ScreenSaverInfo* (*allocInfo)() = nullptr;
  int (*queryInfo)(Display*, Window, ScreenSaverInfo*) = nullptr;
  // The watcher's part: libX11's event queue and libXi (XInput2).
  int (*queryExtensionByName)(Display*, const char*, int*, int*, int*) = nullptr;
  int (*connectionNumber)(Display*) = nullptr;
  int (*pending)(Display*) = nullptr;
  int (*nextEvent)(Display*, EventStorage*) = nullptr;
  int (*flush)(Display*) = nullptr;
  int (*xiQueryVersion)(Display*, int*, int*) = nullptr;
  int (*xiSelectEvents)(Display*, Window, XIEventMask*, int) = nullptr;
  std::string problem;
  std::string xiProblem;
};

const X11& Libraries() {
  static const X11 x = [] {
    X11 l;
    void* x11 = OpenLibrary("libX11.so.6");
    void* xss = OpenLibrary("libXss.so.1");
    if (!x11 || !xss) {
      l.problem = "libX11 or libXss is not installed";
      return l;
    }
    const bool bound = Bind(x11, l.openDisplay, {"XOpenDisplay"}) && Bind(x11, l.closeDisplay, {"XCloseDisplay"}) &&
                       Bind(x11, l.defaultRoot, {"XDefaultRootWindow"}) && Bind(x11, l.free, {"XFree"}) &&
                       Bind(xss, l.queryExtension, {"XScreenSaverQueryExtension"}) &&
                       Bind(xss, l.allocInfo, {"XScreenSaverAllocInfo"}) && Bind(xss, l.queryInfo, {"XScreenSaverQueryInfo"});
    if (!bound) l.problem = "libX11 or libXss lacks a needed function";
    else if (!Bind(x11, l.setIoExitHandler, {"XSetIOErrorExitHandler"}) || !Bind(x11, l.setIoErrorHandler, {"XSetIOErrorHandler"}))
      l.problem = "libX11 is older than 1.7";
    void* xi = OpenLibrary("libXi.so.6");
    const bool xiBound = xi && Bind(x11, l.queryExtensionByName, {"XQueryExtension"}) &&
                         Bind(x11, l.connectionNumber, {"XConnectionNumber"}) && Bind(x11, l.pending, {"XPending"}) &&
                         Bind(x11, l.nextEvent, {"XNextEvent"}) && Bind(x11, l.flush, {"XFlush"}) &&
                         Bind(xi, l.xiQueryVersion, {"XIQueryVersion"}) && Bind(xi, l.xiSelectEvents, {"XISelectEvents"});
    if (!xiBound) l.xiProblem = "libXi (XInput2) is not installed";
    return l;
  }();
  return x;
}

// Our connections. Xlib has no per-connection I/O error handler: XSetIOErrorHandler is process-wide, and the default
// one exit()s the whole process when any server goes away, before the connection's exit handler is reached (libX11
// 1.8.4, measured: a watcher without this handler took its process down with status 1 when Xvfb was killed). So one
// handler is installed, once, and it acts only for our connections: it keeps quiet for them (their exit handler then
// just marks them lost, which ends the watcher's thread) and hands every other connection to the handler it found
// (Chromium's, in Electron), so the rest of the process sees no change. test/integration/input-x11-lost.test.ts.
std::mutex ownedMutex;
std::set<Display*> owned;
IoErrorHandler previousIoHandler = nullptr;

int OnIoError(Display* display) {
  {
    std::lock_guard<std::mutex> lock(ownedMutex);
    if (owned.count(display)) return 0;
  }
  return previousIoHandler ? previousIoHandler(display) : 0;
}

void Own(const X11& x, Display* display) {
  static std::once_flag installed;
  std::call_once(installed, [&x] { previousIoHandler = x.setIoErrorHandler(&OnIoError); });
  std::lock_guard<std::mutex> lock(ownedMutex);
  owned.insert(display);
}

void Disown(Display* display) {
  std::lock_guard<std::mutex> lock(ownedMutex);
  owned.erase(display);
}

// One connection of ours to the X server: opened by name, marked lost (never exit()ed on) when the server goes away.
class Connection {
 public:
  Connection(const X11& x, const std::string& name) : x_(x), name_(name) {
    if (!x.problem.empty()) {
      problem_ = x.problem;
      return;
    }
    display_ = x.openDisplay(name.c_str());
    if (!display_) {
      problem_ = "no X display (DISPLAY unset or the server refused)";
      return;
    }
    Own(x, display_);
    x.setIoExitHandler(display_, &Lost, this);
  }
  ~Connection() {
    if (!display_) return;
    // A lost connection is unusable, even for closing it.
    if (!lost_) x_.closeDisplay(display_);
    Disown(display_);
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  Display* display() const { return display_; }
  const std::string& name() const { return name_; }
  bool lost() const { return lost_; }
  std::string problem_;

 private:
  static void Lost(Display*, void* self) { static_cast<Connection*>(self)->lost_ = true; }
  const X11& x_;
  const std::string name_;
  Display* display_ = nullptr;
  std::atomic<bool> lost_{false};
};

// The screen saver extension's idle counter: ms since the server last saw a key or pointer event.
class IdleCounter {
 public:
  explicit IdleCounter(const std::string& display) : x_(Libraries()), connection_(x_, display) {
    if (!connection_.problem_.empty()) return;
    int events = 0, errors = 0;
    if (!x_.queryExtension(connection_.display(), &events, &errors)) {
      connection_.problem_ = "the X server has no screen saver extension";
      return;
    }
    info_ = x_.allocInfo();
    root_ = x_.defaultRoot(connection_.display());
    if (!info_) connection_.problem_ = "out of memory";
  }
  ~IdleCounter() {
    if (info_) x_.free(info_);
  }
  IdleCounter(const IdleCounter&) = delete;
  IdleCounter& operator=(const IdleCounter&) = delete;

  const std::string& problem() const { return connection_.problem_; }
  const std::string& name() const { return connection_.name(); }
  bool lost() const { return connection_.lost(); }
  // ms since the last input, or -1 once the server is gone.
  long long IdleMs() {
    if (!problem().empty() || lost()) return -1;
    if (!x_.queryInfo(connection_.display(), root_, info_) || lost()) return -1;
    return static_cast<long long>(info_->idle);
  }

 private:
  const X11& x_;
  Connection connection_;
  Window root_ = 0;
  ScreenSaverInfo* info_ = nullptr;
};

// XInput2 raw events (key, button, motion, touch) on the root window: the server sends them as they happen, so the
// watcher thread sleeps in poll() and costs nothing while nobody touches the machine. One JS call per batch read.
class Watcher {
 public:
  Watcher(const std::string& display, Napi::Env env, Napi::Function onInput) : x_(Libraries()), connection_(x_, display) {
    if (!connection_.problem_.empty()) return;
    if (!x_.xiProblem.empty()) {
      connection_.problem_ = x_.xiProblem;
      return;
    }
    Display* d = connection_.display();
    int event = 0, error = 0, major = 2, minor = 2;
    if (!x_.queryExtensionByName(d, "XInputExtension", &opcode_, &event, &error) || x_.xiQueryVersion(d, &major, &minor) != 0 ||
        major < 2 || (major == 2 && minor < 2))
      {
      connection_.problem_ = "the X server has no XInput 2.2 (raw input events)";
      return;
    }
    // XInput 2.2 has every event selected here (touch came in 2.2): an unknown one would be a protocol error.
    unsigned char bits[4] = {0, 0, 0, 0};
    for (int type : {kRawKeyPress, kRawButtonPress, kRawMotion, kRawTouchBegin}) bits[type >> 3] |= 1 << (type & 7);
    XIEventMask mask{kAllMasterDevices, sizeof bits, bits};
    x_.xiSelectEvents(d, x_.defaultRoot(d), &mask, 1);
    x_.flush(d);
    if (pipe(wake_) != 0) {
      connection_.problem_ = "could not create the watcher's wake-up pipe";
      return;
    }
    tsfn_ = Napi::ThreadSafeFunction::New(env, onInput, "synor input watcher", 0, 1);
    // The watcher never keeps the process alive on its own.
    tsfn_.Unref(env);
    thread_ = std::thread([this] { Run(); });
  }
  ~Watcher() {
    Stop();
    for (int fd : wake_)
      if (fd >= 0) close(fd);
  }
  Watcher(const Watcher&) = delete;
  Watcher& operator=(const Watcher&) = delete;

  const std::string& problem() const { return connection_.problem_; }
  void Stop() {
    if (!thread_.joinable()) return;
    const char byte = 0;
    if (write(wake_[1], &byte, 1) < 0) {
      // The pipe is ours and empty: a write cannot fail short of the process running out of everything.
    }
    thread_.join();
  }

 private:
  static constexpr int kGenericEvent = 35, kAllMasterDevices = 1;
  static constexpr int kRawKeyPress = 13, kRawButtonPress = 15, kRawMotion = 17, kRawTouchBegin = 22;

  void Run() {
    Display* d = connection_.display();
    pollfd fds[2] = {{x_.connectionNumber(d), POLLIN, 0}, {wake_[0], POLLIN, 0}};
    while (!connection_.lost()) {
      bool input = false;
      // Events may already sit in Xlib's queue; poll() sees only the socket.
      while (!connection_.lost() && x_.pending(d) > 0) {
        EventStorage event;
        x_.nextEvent(d, &event);
        GenericEventCookie cookie;
        std::memcpy(&cookie, &event, sizeof cookie);
        if (cookie.type == kGenericEvent && cookie.extension == opcode_) input = true;
      }
      if (input) Deliver(true);
      if (connection_.lost()) break;
      if (poll(fds, 2, -1) < 0 && errno != EINTR) break;
      if (fds[1].revents) {
        tsfn_.Release();
        return;
      }
    }
    Deliver(false);
    tsfn_.Release();
  }
  void Deliver(bool input) {
    tsfn_.NonBlockingCall([input](Napi::Env env, Napi::Function callback) {
      // Plain N-API calls: they only fail while Node shuts down, where the wrapper's throw would abort the process.
      if (env == nullptr || callback == nullptr) return;
      napi_value arg = nullptr;
      napi_value result = nullptr;
      if (input ? napi_get_boolean(env, true, &arg) : napi_get_null(env, &arg)) return;
      napi_call_function(env, env.Undefined(), callback, 1, &arg, &result);
    });
  }
  const X11& x_;
  Connection connection_;
  int opcode_ = 0;
  int wake_[2] = {-1, -1};
  Napi::ThreadSafeFunction tsfn_;
  std::thread thread_;
};

// The main thread's counter for the idle time the policy tick asks for: opened at the first ask, and again after a
// failure or for another display (an X server that was not up yet, or restarted).
IdleCounter& MainCounter(const std::string& display) {
  static std::unique_ptr<IdleCounter> counter;
  if (!counter || counter->name() != display || !counter->problem().empty() || counter->lost())
    counter = std::make_unique<IdleCounter>(display);
  return *counter;
}

std::string DisplayArg(const Napi::CallbackInfo& info) {
  return info.Length() > 0 && info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : std::string();
}
#endif

// inputIdleMs(display): ms since the last input, or a string saying why this system cannot tell.
Napi::Value InputIdleMs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
#if defined(__linux__)
  const std::string display = DisplayArg(info);
  if (display.empty()) return Napi::String::New(env, "no X display");
  IdleCounter& counter = MainCounter(display);
  if (!counter.problem().empty()) return Napi::String::New(env, counter.problem());
  const long long idle = counter.IdleMs();
  if (idle < 0) return Napi::String::New(env, "the X server connection was lost");
  return Napi::Number::New(env, static_cast<double>(idle));
#else
  return Napi::String::New(env, "the native input watcher exists only for X11");
#endif
}

// watchInput(display, onInput): a stop function, or a string saying why this system cannot watch.
// onInput(true) runs on the JS thread for each batch of input events; onInput(null) once if the server goes away.
Napi::Value WatchInput(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
#if defined(__linux__)
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsFunction()) {
    Napi::TypeError::New(env, "watchInput(display, onInput)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  auto watcher = std::make_shared<Watcher>(DisplayArg(info), env, info[1].As<Napi::Function>());
  if (!watcher->problem().empty()) return Napi::String::New(env, watcher->problem());
  return Napi::Function::New(env, [watcher](const Napi::CallbackInfo& call) {
    watcher->Stop();
    return call.Env().Undefined();
  });
#else
  return Napi::String::New(env, "the native input watcher exists only for X11");
#endif
}

}  // namespace

void RegisterInput(Napi::Env env, Napi::Object exports) {
  exports.Set("inputIdleMs", Napi::Function::New(env, InputIdleMs));
  exports.Set("watchInput", Napi::Function::New(env, WatchInput));
}

}  // namespace synor
