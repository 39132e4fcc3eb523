// Process lifetime for job hosts: a job host must die with its agent even while SIGSTOPped (a stopped process
// never sees its IPC pipe close). On Linux the kernel does it: PR_SET_PDEATHSIG sends SIGKILL when the thread
// that forked us exits, which for job hosts is the agent's main thread, so in practice when the agent dies.
#include <napi.h>

#if defined(__linux__)
#include <signal.h>
#include <sys/prctl.h>
#endif
#if defined(__unix__) || defined(__APPLE__)
#include <unistd.h>
#endif

namespace synor {

// setParentDeathSignal(expectedParentPid): "set" | "parent-gone" | "unsupported". Called by the child itself;
// getppid() afterwards closes the race of a parent that died before the call (we were re-parented already).
Napi::Value SetParentDeathSignal(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
#if defined(__linux__)
  const int expected = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().Int32Value() : 0;
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) return Napi::String::New(env, "unsupported");
  if (expected > 0 && getppid() != expected) return Napi::String::New(env, "parent-gone");
  return Napi::String::New(env, "set");
#else
  return Napi::String::New(env, "unsupported");
#endif
}

// joinOwnProcessGroup(): "set" | "unsupported". Called by the child itself: its own process group in the agent's
// session. When the agent dies that group is orphaned, and POSIX has the kernel send a stopped member SIGHUP and then
// SIGCONT, so a host the agent had stopped dies with it on every POSIX system, with or without PR_SET_PDEATHSIG.
Napi::Value JoinOwnProcessGroup(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
#if defined(__unix__) || defined(__APPLE__)
  return Napi::String::New(env, setpgid(0, 0) == 0 ? "set" : "unsupported");
#else
  return Napi::String::New(env, "unsupported");
#endif
}

}  // namespace synor
