// The user's input, as it happens, for give-back in milliseconds (X11). The XScreenSaver extension's idle counter
// (ms since the server last saw a key or pointer event) is read from a native thread every few ms; JS hears only
// when input arrived since the previous read. libX11 and libXss are opened at run time (Electron itself needs
// libXss), so the addon builds and loads on machines without X. libX11 >= 1.8 is thread-safe by default, and each
// user of the counter has its own connection.
#include <napi.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

namespace synor {

void* OpenLibrary(const std::string& path);           // addon.cc
void* FindSymbol(void* library, const char* name);  // addon.cc

namespace {

#if defined(__linux__)
struct Display;
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
  std::string problem;
};

template <typename F>
bool Bind(void* library, const char* name, F& out) {
  out = reinterpret_cast<F>(FindSymbol(library, name));
  return out != nullptr;
}

const X11& Libraries() {
  static const X11 x = [] {
    X11 l;
    void* x11 = OpenLibrary("libX11.so.6");
    void* xss = OpenLibrary("libXss.so.1");
    if (!x11 || !xss) {
      l.problem = "libX11 or libXss is not installed";
      return l;
    }
    const bool bound = Bind(x11, "XOpenDisplay", l.openDisplay) && Bind(x11, "XCloseDisplay", l.closeDisplay) &&
                       Bind(x11, "XDefaultRootWindow", l.defaultRoot) && Bind(x11, "XFree", l.free) &&
                       Bind(xss, "XScreenSaverQueryExtension", l.queryExtension) &&
                       Bind(xss, "XScreenSaverAllocInfo", l.allocInfo) && Bind(xss, "XScreenSaverQueryInfo", l.queryInfo);
    if (!bound) l.problem = "libX11 or libXss lacks a needed function";
    else if (!Bind(x11, "XSetIOErrorExitHandler", l.setIoExitHandler) || !Bind(x11, "XSetIOErrorHandler", l.setIoErrorHandler))
      l.problem = "libX11 is older than 1.7";
    return l;
  }();
  return x;
}

// Our connections. Xlib's default I/O error handler exit()s the process when a server goes away; ours keeps quiet
// for our connections (their exit handler then just marks them lost) and hands any other to the handler it
// replaced (Chromium's, in Electron), so the rest of the process sees no change.
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

// One connection to the X server and its idle counter.
class IdleCounter {
 public:
  explicit IdleCounter(const std::string& display) : x_(Libraries()), name_(display) {
    problem_ = Open();
  }
  ~IdleCounter() {
    if (info_) x_.free(info_);
    if (!display_) return;
    // A lost connection is unusable, even for closing it.
    if (!lost_) x_.closeDisplay(display_);
    Disown(display_);
  }
  IdleCounter(const IdleCounter&) = delete;
  IdleCounter& operator=(const IdleCounter&) = delete;

  const std::string& problem() const { return problem_; }
  const std::string& name() const { return name_; }
  bool lost() const { return lost_; }
  // ms since the last input, or -1 once the server is gone.
  long long IdleMs() {
    if (!problem_.empty() || lost_) return -1;
    if (!x_.queryInfo(display_, root_, info_) || lost_) return -1;
    return static_cast<long long>(info_->idle);
  }

 private:
  std::string Open() {
    if (!x_.problem.empty()) return x_.problem;
    display_ = x_.openDisplay(name_.c_str());
    if (!display_) return "no X display (DISPLAY unset or the server refused)";
    Own(x_, display_);
    x_.setIoExitHandler(display_, &Lost, this);
    int events = 0, errors = 0;
    if (!x_.queryExtension(display_, &events, &errors)) return "the X server has no screen saver extension";
    info_ = x_.allocInfo();
    root_ = x_.defaultRoot(display_);
    return info_ ? "" : "out of memory";
  }
  static void Lost(Display*, void* self) { static_cast<IdleCounter*>(self)->lost_ = true; }
  const X11& x_;
  const std::string name_;
  Display* display_ = nullptr;
  Window root_ = 0;
  ScreenSaverInfo* info_ = nullptr;
  std::atomic<bool> lost_{false};
  std::string problem_;
};

// Polls its own counter on its own thread; stop() joins it.
class Watcher {
 public:
  Watcher(std::unique_ptr<IdleCounter> counter, Napi::ThreadSafeFunction tsfn, int intervalMs)
      : counter_(std::move(counter)), tsfn_(std::move(tsfn)), thread_([this, intervalMs] { Run(intervalMs); }) {}
  ~Watcher() { Stop(); }
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }

 private:
  void Run(int intervalMs) {
    using Clock = std::chrono::steady_clock;
    long long last = counter_->IdleMs();
    auto lastAt = Clock::now();
    while (!stop_ && last >= 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(intervalMs));
      const long long idle = counter_->IdleMs();
      const auto at = Clock::now();
      const long long since = std::chrono::duration_cast<std::chrono::milliseconds>(at - lastAt).count();
      // Input since the previous read: the counter went back, or is younger than the time between reads.
      if (idle < 0 || idle < last || idle + 1 < since) Deliver(idle);
      last = idle;
      lastAt = at;
    }
    tsfn_.Release();
  }
  void Deliver(long long idle) {
    tsfn_.NonBlockingCall([idle](Napi::Env env, Napi::Function callback) {
      // Plain N-API calls: they only fail while Node shuts down, where the wrapper's throw would abort the process.
      if (env == nullptr || callback == nullptr) return;
      napi_value arg = nullptr;
      napi_value result = nullptr;
      if (idle < 0 ? napi_get_null(env, &arg) : napi_create_double(env, static_cast<double>(idle), &arg)) return;
      napi_call_function(env, env.Undefined(), callback, 1, &arg, &result);
    });
  }
  std::unique_ptr<IdleCounter> counter_;
  Napi::ThreadSafeFunction tsfn_;
  std::atomic<bool> stop_{false};
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

// watchInput(display, onInput, intervalMs): a stop function, or a string saying why this system cannot watch.
// onInput(idleMs) runs on the JS thread for each read that saw new input; onInput(null) once if the server goes away.
Napi::Value WatchInput(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
#if defined(__linux__)
  if (info.Length() < 3 || !info[0].IsString() || !info[1].IsFunction() || !info[2].IsNumber()) {
    Napi::TypeError::New(env, "watchInput(display, onInput, intervalMs)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const int interval = std::max(1, std::min(1000, info[2].As<Napi::Number>().Int32Value()));
  auto counter = std::make_unique<IdleCounter>(DisplayArg(info));
  if (!counter->problem().empty()) return Napi::String::New(env, counter->problem());
  auto tsfn = Napi::ThreadSafeFunction::New(env, info[1].As<Napi::Function>(), "synor input watcher", 0, 1);
  // The watcher never keeps the process alive on its own.
  tsfn.Unref(env);
  auto watcher = std::make_shared<Watcher>(std::move(counter), std::move(tsfn), interval);
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
