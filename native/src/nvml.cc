// NVIDIA through NVML, loaded with dlopen at run time so the addon builds and loads on machines without the driver.
#include <map>
#include <mutex>

#include "probe.h"

namespace synor {
namespace {

// The subset of nvml.h we call (types and values from NVIDIA's public header).
typedef int nvmlReturn_t;
typedef struct nvmlDevice_st* nvmlDevice_t;
struct nvmlMemory_t {
  unsigned long long total, free, used;
};
struct nvmlUtilization_t {
  unsigned int gpu, memory;
};
struct nvmlPciInfo_t {
  char busIdLegacy[16];
  unsigned int domain, bus, device, pciDeviceId, pciSubSystemId;
  char busId[32];
};
constexpr nvmlReturn_t NVML_SUCCESS = 0;
constexpr nvmlReturn_t NVML_ERROR_NOT_SUPPORTED = 3;
constexpr nvmlReturn_t NVML_ERROR_DRIVER_NOT_LOADED = 9;
constexpr nvmlReturn_t NVML_ERROR_GPU_IS_LOST = 15;
constexpr unsigned int NVML_TEMPERATURE_GPU = 0;

struct Nvml {
  nvmlReturn_t (*init)();
  const char* (*errorString)(nvmlReturn_t);
  nvmlReturn_t (*driverVersion)(char*, unsigned int);
  nvmlReturn_t (*cudaVersion)(int*);
  nvmlReturn_t (*count)(unsigned int*);
  nvmlReturn_t (*byIndex)(unsigned int, nvmlDevice_t*);
  nvmlReturn_t (*name)(nvmlDevice_t, char*, unsigned int);
  nvmlReturn_t (*uuid)(nvmlDevice_t, char*, unsigned int);
  nvmlReturn_t (*pci)(nvmlDevice_t, nvmlPciInfo_t*);
  nvmlReturn_t (*memory)(nvmlDevice_t, nvmlMemory_t*);
  nvmlReturn_t (*utilization)(nvmlDevice_t, nvmlUtilization_t*);
  nvmlReturn_t (*temperature)(nvmlDevice_t, unsigned int, unsigned int*);
  nvmlReturn_t (*power)(nvmlDevice_t, unsigned int*);
  nvmlReturn_t (*powerLimit)(nvmlDevice_t, unsigned int*);
  nvmlReturn_t (*computeCapability)(nvmlDevice_t, int*, int*);
  bool initialized = false;
};

template <typename F>
bool Bind(void* lib, const char* name, F& fn) {
  fn = reinterpret_cast<F>(FindSymbol(lib, name));
  return fn != nullptr;
}

// One entry per library path (tests load several fakes in one process); NVML stays initialized once it worked.
std::mutex lock;
std::map<std::string, Nvml> loaded;

std::string ErrorText(const Nvml& nvml, nvmlReturn_t rc) {
  const char* text = nvml.errorString ? nvml.errorString(rc) : nullptr;
  return text ? text : "unknown error";
}

std::string ErrorCode(nvmlReturn_t rc) {
  switch (rc) {
    case NVML_ERROR_DRIVER_NOT_LOADED: return "driver-not-loaded";
    case NVML_ERROR_GPU_IS_LOST: return "gpu-lost";
    case 4: return "no-permission";
    case 18: return "driver-mismatch";
    default: return "driver-error";
  }
}

// Optional readings: "not supported" by this GPU is a null, not a failure.
template <typename T>
std::optional<double> Reading(nvmlReturn_t rc, T value, nvmlReturn_t& failure) {
  if (rc == NVML_SUCCESS) return static_cast<double>(value);
  if (rc != NVML_ERROR_NOT_SUPPORTED && failure == NVML_SUCCESS) failure = rc;
  return std::nullopt;
}

GpuRecord ReadDevice(const Nvml& nvml, unsigned int index) {
  GpuRecord gpu;
  gpu.index = index;
  nvmlDevice_t device = nullptr;
  nvmlReturn_t failure = nvml.byIndex(index, &device);
  nvmlPciInfo_t pci{};
  if (failure == NVML_SUCCESS && (failure = nvml.pci(device, &pci)) == NVML_SUCCESS) gpu.pciBusId = pci.busId;
  char text[96];
  if (failure == NVML_SUCCESS && (failure = nvml.name(device, text, sizeof text)) == NVML_SUCCESS) gpu.name = text;
  if (failure == NVML_SUCCESS && (failure = nvml.uuid(device, text, sizeof text)) == NVML_SUCCESS) gpu.uuid = text;
  if (failure == NVML_SUCCESS) {
    nvmlMemory_t memory{};
    if ((failure = nvml.memory(device, &memory)) == NVML_SUCCESS) {
      gpu.memoryTotalBytes = static_cast<double>(memory.total);
      gpu.memoryUsedBytes = static_cast<double>(memory.used);
    }
  }
  if (failure == NVML_SUCCESS) {
    // Each call runs before its value is read (argument evaluation order is unspecified in C++).
    nvmlUtilization_t use{};
    nvmlReturn_t rc = nvml.utilization(device, &use);
    gpu.utilizationPercent = Reading(rc, use.gpu, failure);
    unsigned int value = 0;
    rc = nvml.temperature(device, NVML_TEMPERATURE_GPU, &value);
    gpu.temperatureC = Reading(rc, value, failure);
    rc = nvml.power(device, &value);
    gpu.powerDrawMilliwatts = Reading(rc, value, failure);
    rc = nvml.powerLimit(device, &value);
    gpu.powerLimitMilliwatts = Reading(rc, value, failure);
    int major = 0, minor = 0;
    rc = nvml.computeCapability(device, &major, &minor);
    if (Reading(rc, major, failure))
      gpu.computeCapability = std::to_string(major) + "." + std::to_string(minor);
  }
  if (failure != NVML_SUCCESS) return BrokenGpu(gpu, ErrorCode(failure), ErrorText(nvml, failure));
  return gpu;
}

}  // namespace

VendorResult ProbeNvidia(const std::string& library) {
  std::lock_guard<std::mutex> guard(lock);
  VendorResult result;
  auto found = loaded.find(library);
  if (found == loaded.end()) {
    void* lib = OpenLibrary(library);
    if (!lib) {
      result.code = "not-installed";
      result.message = "NVIDIA driver library not found";
      return result;
    }
    Nvml nvml{};
    bool complete = Bind(lib, "nvmlInit_v2", nvml.init) && Bind(lib, "nvmlErrorString", nvml.errorString) &&
                    Bind(lib, "nvmlSystemGetDriverVersion", nvml.driverVersion) &&
                    Bind(lib, "nvmlSystemGetCudaDriverVersion_v2", nvml.cudaVersion) &&
                    Bind(lib, "nvmlDeviceGetCount_v2", nvml.count) &&
                    Bind(lib, "nvmlDeviceGetHandleByIndex_v2", nvml.byIndex) &&
                    Bind(lib, "nvmlDeviceGetName", nvml.name) && Bind(lib, "nvmlDeviceGetUUID", nvml.uuid) &&
                    Bind(lib, "nvmlDeviceGetPciInfo_v3", nvml.pci) && Bind(lib, "nvmlDeviceGetMemoryInfo", nvml.memory) &&
                    Bind(lib, "nvmlDeviceGetUtilizationRates", nvml.utilization) &&
                    Bind(lib, "nvmlDeviceGetTemperature", nvml.temperature) &&
                    Bind(lib, "nvmlDeviceGetPowerUsage", nvml.power) &&
                    Bind(lib, "nvmlDeviceGetEnforcedPowerLimit", nvml.powerLimit) &&
                    Bind(lib, "nvmlDeviceGetCudaComputeCapability", nvml.computeCapability);
    if (!complete) {
      return Failed(std::move(result), "driver-too-old",
                    "The NVIDIA driver is too old: its NVML library lacks functions this app needs");
    }
    found = loaded.emplace(library, nvml).first;
  }
  Nvml& nvml = found->second;
  if (!nvml.initialized) {
    nvmlReturn_t rc = nvml.init();
    if (rc != NVML_SUCCESS) {
      return Failed(std::move(result), ErrorCode(rc), ErrorText(nvml, rc));
    }
    nvml.initialized = true;
  }
  result.status = "found";
  char version[96];
  if (nvml.driverVersion(version, sizeof version) == NVML_SUCCESS) result.driverVersion = version;
  int cuda = 0;
  if (nvml.cudaVersion(&cuda) == NVML_SUCCESS)
    result.runtimeVersion = std::to_string(cuda / 1000) + "." + std::to_string((cuda % 1000) / 10);
  unsigned int count = 0;
  nvmlReturn_t rc = nvml.count(&count);
  if (rc != NVML_SUCCESS) {
    return Failed(std::move(result), ErrorCode(rc), ErrorText(nvml, rc));
  }
  for (unsigned int i = 0; i < count; i++) result.gpus.push_back(ReadDevice(nvml, i));
  return result;
}

}  // namespace synor
