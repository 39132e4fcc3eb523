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

struct X11 {
  Display* (*openDisplay)(const char*) = nullptr;
  int (*closeDisplay)(Display*) = nullptr;
  Window (*defaultRoot)(Display*) = nullptr;
  int (*free)(void*) = nullptr;
  // libX11 >= 1.7: lets a lost server end our use of the connection instead of exit()ing the whole app.
  void (*setIoExitHandler)(Display*, IoExitHandler, void*) = nullptr;
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
    else if (!Bind(x11, "XSetIOErrorExitHandler", l.setIoExitHandler)) l.problem = "libX11 is older than 1.7";
    return l;
  }();
  return x;
}

// One connection to the X server and its idle counter.
class IdleCounter {
 public:
  IdleCounter() : x_(Libraries()) {
    problem_ = Open();
  }
  ~IdleCounter() {
    if (info_) x_.free(info_);
    // A lost connection is unusable, even for closing it.
    if (display_ && !lost_) x_.closeDisplay(display_);
  }
  IdleCounter(const IdleCounter&) = delete;
  IdleCounter& operator=(const IdleCounter&) = delete;

  const std::string& problem() const { return problem_; }
  // ms since the last input, or -1 once the server is gone.
  long long IdleMs() {
    if (!problem_.empty() || lost_) return -1;
    if (!x_.queryInfo(display_, root_, info_) || lost_) return -1;
    return static_cast<long long>(info_->idle);
  }

 private:
  std::string Open() {
    if (!x_.problem.empty()) return x_.problem;
    display_ = x_.openDisplay(nullptr);
    if (!display_) return "no X display (DISPLAY unset or the server refused)";
    x_.setIoExitHandler(display_, &Lost, this);
    int events = 0, errors = 0;
    if (!x_.queryExtension(display_, &events, &errors)) return "the X server has no screen saver extension";
    info_ = x_.allocInfo();
    root_ = x_.defaultRoot(display_);
    return info_ ? "" : "out of memory";
  }
  static void Lost(Display*, void* self) { static_cast<IdleCounter*>(self)->lost_ = true; }
  const X11& x_;
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
      callback.Call({idle < 0 ? env.Null() : Napi::Value(Napi::Number::New(env, static_cast<double>(idle)))});
    });
  }
  std::unique_ptr<IdleCounter> counter_;
  Napi::ThreadSafeFunction tsfn_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// The main thread's counter for the idle time the policy tick asks for; opened at the first ask.
IdleCounter& MainCounter() {
  static IdleCounter counter;
  return counter;
}
#endif

// inputIdleMs(): ms since the last input, or a string saying why this system cannot tell.
Napi::Value InputIdleMs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
#if defined(__linux__)
  IdleCounter& counter = MainCounter();
  if (!counter.problem().empty()) return Napi::String::New(env, counter.problem());
  const long long idle = counter.IdleMs();
  if (idle < 0) return Napi::String::New(env, "the X server connection was lost");
  return Napi::Number::New(env, static_cast<double>(idle));
#else
  return Napi::String::New(env, "the native input watcher exists only for X11");
#endif
}

// watchInput(onInput, intervalMs): a stop function, or a string saying why this system cannot watch.
// onInput(idleMs) runs on the JS thread for each read that saw new input; onInput(null) once if the server goes away.
Napi::Value WatchInput(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
#if defined(__linux__)
  if (info.Length() < 2 || !info[0].IsFunction() || !info[1].IsNumber()) {
    Napi::TypeError::New(env, "watchInput(onInput, intervalMs)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const int interval = std::max(1, std::min(1000, info[1].As<Napi::Number>().Int32Value()));
  auto counter = std::make_unique<IdleCounter>();
  if (!counter->problem().empty()) return Napi::String::New(env, counter->problem());
  auto tsfn = Napi::ThreadSafeFunction::New(env, info[0].As<Napi::Function>(), "synor input watcher", 0, 1);
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
