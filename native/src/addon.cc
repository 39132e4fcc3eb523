// N-API entry points. Driver queries can take tens of milliseconds, so they run on the libuv pool (AsyncWorker)
// and resolve a Promise; the cpuid read (off Linux) is microseconds and stays synchronous.
#include <napi.h>

#include <type_traits>

#include "probe.h"

#if defined(_WIN32)
#include <windows.h>
#else
#include <dlfcn.h>
#endif

namespace synor {

Napi::Value SetParentDeathSignal(const Napi::CallbackInfo& info);  // process.cc
Napi::Value JoinOwnProcessGroup(const Napi::CallbackInfo& info);   // process.cc
void RegisterInput(Napi::Env env, Napi::Object exports);          // input.cc

void* OpenLibrary(const std::string& path) {
#if defined(_WIN32)
  return reinterpret_cast<void*>(LoadLibraryExA(path.c_str(), nullptr, 0));
#else
  return dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
#endif
}

void* FindSymbol(void* library, const char* name) {
#if defined(_WIN32)
  return reinterpret_cast<void*>(GetProcAddress(reinterpret_cast<HMODULE>(library), name));
#else
  return dlsym(library, name);
#endif
}

#if !defined(__APPLE__)
VendorResult ProbeApple() {
  VendorResult result;
  result.code = "not-installed";
  result.message = "Metal exists only on macOS";
  return result;
}
#endif

namespace {

template <typename T>
Napi::Value OrNull(Napi::Env env, const std::optional<T>& value) {
  if (!value) return env.Null();
  if constexpr (std::is_same_v<T, std::string>) {
    return Napi::String::New(env, *value);
  } else {
    return Napi::Number::New(env, *value);
  }
}

Napi::Object ToJs(Napi::Env env, const VendorResult& vendor) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("status", vendor.status);
  out.Set("code", vendor.code);
  out.Set("message", vendor.message);
  out.Set("driverVersion", OrNull(env, vendor.driverVersion));
  out.Set("runtimeVersion", OrNull(env, vendor.runtimeVersion));
  Napi::Array gpus = Napi::Array::New(env, vendor.gpus.size());
  for (size_t i = 0; i < vendor.gpus.size(); i++) {
    const GpuRecord& g = vendor.gpus[i];
    Napi::Object gpu = Napi::Object::New(env);
    gpu.Set("index", g.index);
    gpu.Set("name", OrNull(env, g.name));
    gpu.Set("uuid", OrNull(env, g.uuid));
    gpu.Set("pciBusId", OrNull(env, g.pciBusId));
    gpu.Set("memoryTotalBytes", OrNull(env, g.memoryTotalBytes));
    gpu.Set("memoryUsedBytes", OrNull(env, g.memoryUsedBytes));
    gpu.Set("utilizationPercent", OrNull(env, g.utilizationPercent));
    gpu.Set("temperatureC", OrNull(env, g.temperatureC));
    gpu.Set("powerDrawMilliwatts", OrNull(env, g.powerDrawMilliwatts));
    gpu.Set("powerLimitMilliwatts", OrNull(env, g.powerLimitMilliwatts));
    gpu.Set("computeCapability", OrNull(env, g.computeCapability));
    gpu.Set("unifiedMemory", g.unifiedMemory);
    gpu.Set("workingSetBytes", OrNull(env, g.workingSetBytes));
    gpu.Set("gpuCores", OrNull(env, g.gpuCores));
    gpu.Set("family", OrNull(env, g.family));
    gpu.Set("errorCode", OrNull(env, g.errorCode));
    gpu.Set("errorMessage", OrNull(env, g.errorMessage));
    Napi::Object sources = Napi::Object::New(env);
    for (const auto& [field, source] : g.sources) sources.Set(field, source);
    gpu.Set("sources", sources);
    gpu.Set("migEnabled", g.migEnabled ? Napi::Value(Napi::Boolean::New(env, *g.migEnabled)) : env.Null());
    Napi::Array mig = Napi::Array::New(env, g.mig.size());
    for (size_t m = 0; m < g.mig.size(); m++) {
      Napi::Object instance = Napi::Object::New(env);
      instance.Set("index", g.mig[m].index);
      instance.Set("gpuInstanceId", g.mig[m].gpuInstanceId);
      instance.Set("computeInstanceId", g.mig[m].computeInstanceId);
      instance.Set("memoryTotalBytes", OrNull(env, g.mig[m].memoryTotalBytes));
      instance.Set("memoryUsedBytes", OrNull(env, g.mig[m].memoryUsedBytes));
      mig[m] = instance;
    }
    gpu.Set("mig", mig);
    gpus[i] = gpu;
  }
  out.Set("gpus", gpus);
  return out;
}

class VendorWorker : public Napi::AsyncWorker {
 public:
  using Probe = VendorResult (*)(const std::string&);
  VendorWorker(Napi::Env env, Probe probe, std::string library)
      : Napi::AsyncWorker(env), probe_(probe), library_(std::move(library)), deferred_(env) {}
  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  void Execute() override { result_ = probe_(library_); }
  void OnOK() override { deferred_.Resolve(ToJs(Env(), result_)); }

 private:
  Probe probe_;
  std::string library_;
  VendorResult result_;
  Napi::Promise::Deferred deferred_;
};

// nvidia(libraryPath) / amd(libraryPath) / intel(libraryPath) / apple(): Promise<VendorResult>.
template <VendorResult (*Probe)(const std::string&)>
Napi::Value RunVendor(const Napi::CallbackInfo& info) {
  std::string library = info.Length() > 0 && info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : "";
  auto* worker = new VendorWorker(info.Env(), Probe, library);
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

VendorResult ProbeAppleAny(const std::string&) { return ProbeApple(); }

#if !defined(__linux__)
// Off Linux only: on Linux both probes read the kernel's /proc/cpuinfo (cpu.cc).
Napi::Value Cpu(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CpuRecord cpu = ProbeCpu();
  Napi::Object out = Napi::Object::New(env);
  out.Set("vendor", cpu.vendor);
  out.Set("model", cpu.model);
  out.Set("arch", cpu.arch);
  out.Set("cores", cpu.cores);
  out.Set("threads", cpu.threads);
  Napi::Array features = Napi::Array::New(env, cpu.features.size());
  for (size_t i = 0; i < cpu.features.size(); i++) features[i] = Napi::String::New(env, cpu.features[i]);
  out.Set("features", features);
  Napi::Object sources = Napi::Object::New(env);
  for (const auto& [field, source] : cpu.sources) sources.Set(field, source);
  out.Set("sources", sources);
  return out;
}
#endif

Napi::Object Init(Napi::Env env, Napi::Object exports) {
#if !defined(__linux__)
  exports.Set("cpu", Napi::Function::New(env, Cpu));
#endif
  exports.Set("setParentDeathSignal", Napi::Function::New(env, SetParentDeathSignal));
  exports.Set("joinOwnProcessGroup", Napi::Function::New(env, JoinOwnProcessGroup));
  exports.Set("nvidia", Napi::Function::New(env, RunVendor<ProbeNvidia>));
  exports.Set("amd", Napi::Function::New(env, RunVendor<ProbeAmd>));
  exports.Set("intel", Napi::Function::New(env, RunVendor<ProbeIntel>));
  exports.Set("apple", Napi::Function::New(env, RunVendor<ProbeAppleAny>));
  RegisterInput(env, exports);
  return exports;
}

}  // namespace
}  // namespace synor

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return synor::Init(env, exports); }
NODE_API_MODULE(synor_hardware, InitModule)
