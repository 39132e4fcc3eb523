// NVIDIA through NVML, loaded with dlopen at run time so the addon builds and loads on machines without the driver.
// Only init, count and the handle call are required. Every reading is bound on its own: a driver that lacks one
// (older than the _v2 / V variants, or than MIG) still answers the rest, and a reading the GPU declines
// (NVML_ERROR_NOT_SUPPORTED: memory on GB10 / Jetson-class GPUs, utilization in MIG mode) is left out, not fatal.
#include "runtime-library.h"
#include "probe.h"

namespace synor {
namespace {

// The subset of nvml.h we call (types and values from NVIDIA's public header).
typedef int nvmlReturn_t;
typedef struct nvmlDevice_st* nvmlDevice_t;
struct nvmlMemory_t {
  unsigned long long total, free, used;
};
// _v2 reports the driver's reservation apart: "used" is then what nvidia-smi -q shows as used.
struct nvmlMemory_v2_t {
  unsigned int version;
  unsigned long long total, reserved, free, used;
};
struct nvmlUtilization_t {
  unsigned int gpu, memory;
};
struct nvmlPciInfo_t {
  char busIdLegacy[16];
  unsigned int domain, bus, device, pciDeviceId, pciSubSystemId;
  char busId[32];
};
struct nvmlTemperature_v1_t {
  unsigned int version;
  int sensorType;
  int temperature;
};
// NVML_STRUCT_VERSION(name, ver): the struct's size with the version in the top byte.
constexpr unsigned int StructVersion(size_t size, unsigned int version) {
  return static_cast<unsigned int>(size) | (version << 24U);
}
constexpr nvmlReturn_t NVML_SUCCESS = 0;
constexpr nvmlReturn_t NVML_ERROR_NOT_SUPPORTED = 3;
constexpr nvmlReturn_t NVML_ERROR_NO_PERMISSION = 4;
constexpr nvmlReturn_t NVML_ERROR_NOT_FOUND = 6;
constexpr nvmlReturn_t NVML_ERROR_DRIVER_NOT_LOADED = 9;
constexpr nvmlReturn_t NVML_ERROR_FUNCTION_NOT_FOUND = 13;
constexpr nvmlReturn_t NVML_ERROR_GPU_IS_LOST = 15;
constexpr nvmlReturn_t NVML_ERROR_RESET_REQUIRED = 16;
constexpr nvmlReturn_t NVML_ERROR_LIB_RM_VERSION_MISMATCH = 18;
constexpr nvmlReturn_t NVML_ERROR_ARGUMENT_VERSION_MISMATCH = 25;
constexpr nvmlReturn_t NVML_ERROR_GPU_NOT_FOUND = 28;
constexpr int NVML_TEMPERATURE_GPU = 0;
constexpr unsigned int NVML_DEVICE_MIG_ENABLE = 1;

struct Nvml {
  // Required.
  nvmlReturn_t (*init)();
  nvmlReturn_t (*count)(unsigned int*);
  nvmlReturn_t (*byIndex)(unsigned int, nvmlDevice_t*);
  // Optional, each on its own.
  const char* (*errorString)(nvmlReturn_t);
  nvmlReturn_t (*driverVersion)(char*, unsigned int);
  nvmlReturn_t (*cudaVersion)(int*);
  nvmlReturn_t (*name)(nvmlDevice_t, char*, unsigned int);
  nvmlReturn_t (*uuid)(nvmlDevice_t, char*, unsigned int);
  nvmlReturn_t (*pci)(nvmlDevice_t, nvmlPciInfo_t*);
  nvmlReturn_t (*memory)(nvmlDevice_t, nvmlMemory_t*);
  nvmlReturn_t (*memoryV2)(nvmlDevice_t, nvmlMemory_v2_t*);
  nvmlReturn_t (*utilization)(nvmlDevice_t, nvmlUtilization_t*);
  nvmlReturn_t (*temperature)(nvmlDevice_t, int, unsigned int*);
  nvmlReturn_t (*temperatureV)(nvmlDevice_t, nvmlTemperature_v1_t*);
  nvmlReturn_t (*power)(nvmlDevice_t, unsigned int*);
  nvmlReturn_t (*powerLimit)(nvmlDevice_t, unsigned int*);
  nvmlReturn_t (*computeCapability)(nvmlDevice_t, int*, int*);
  nvmlReturn_t (*migMode)(nvmlDevice_t, unsigned int*, unsigned int*);
  nvmlReturn_t (*maxMigDevices)(nvmlDevice_t, unsigned int*);
  nvmlReturn_t (*migByIndex)(nvmlDevice_t, unsigned int, nvmlDevice_t*);
  nvmlReturn_t (*gpuInstanceId)(nvmlDevice_t, unsigned int*);
  nvmlReturn_t (*computeInstanceId)(nvmlDevice_t, unsigned int*);
};

DriverLibraries<Nvml> libraries;

std::string ErrorText(const Nvml& nvml, nvmlReturn_t rc) {
  const char* text = nvml.errorString ? nvml.errorString(rc) : nullptr;
  return text ? text : "error " + std::to_string(rc);
}

std::string ErrorCode(nvmlReturn_t rc) {
  switch (rc) {
    case NVML_ERROR_DRIVER_NOT_LOADED: return "driver-not-loaded";
    case NVML_ERROR_GPU_IS_LOST: return "gpu-lost";
    case NVML_ERROR_RESET_REQUIRED: return "reset-required";
    case NVML_ERROR_GPU_NOT_FOUND: return "gpu-not-found";
    case NVML_ERROR_NO_PERMISSION: return "no-permission";
    case NVML_ERROR_LIB_RM_VERSION_MISMATCH: return "driver-mismatch";
    default: return "driver-error";
  }
}

// Errors that mean the device itself is gone, whichever call saw them first.
bool DeviceGone(nvmlReturn_t rc) {
  return rc == NVML_ERROR_GPU_IS_LOST || rc == NVML_ERROR_RESET_REQUIRED || rc == NVML_ERROR_GPU_NOT_FOUND;
}

// The newer call when the library has it and takes our struct version, else the older one.
bool Unanswered(nvmlReturn_t rc) { return rc == NVML_ERROR_FUNCTION_NOT_FOUND || rc == NVML_ERROR_ARGUMENT_VERSION_MISMATCH; }

// Reads one device's fields, noting per field which call answered or why it did not.
class Reader {
 public:
  Reader(const Nvml& nvml, GpuRecord& gpu) : nvml_(nvml), gpu_(gpu) {}

  // call() returns the NVML status; true when it answered.
  // name is read after call(), which may switch it to the older call it fell back to.
  template <typename Call>
  bool Read(const char* field, const char* const& name, bool bound, Call&& call) {
    if (!bound) {
      gpu_.sources.emplace_back(field, std::string(name) + " missing in this driver");
      return false;
    }
    nvmlReturn_t rc = call();
    if (rc == NVML_SUCCESS) {
      gpu_.sources.emplace_back(field, name);
      return true;
    }
    if (DeviceGone(rc) && gone_ == NVML_SUCCESS) gone_ = rc;
    gpu_.sources.emplace_back(field, std::string(name) + ": " + ErrorText(nvml_, rc));
    return false;
  }
  nvmlReturn_t gone() const { return gone_; }

 private:
  const Nvml& nvml_;
  GpuRecord& gpu_;
  nvmlReturn_t gone_ = NVML_SUCCESS;
};

// total and used of a device or MIG instance, preferring _v2 (used without the driver's reservation).
nvmlReturn_t Memory(const Nvml& nvml, nvmlDevice_t device, double& total, double& used, const char*& name) {
  if (nvml.memoryV2) {
    nvmlMemory_v2_t m{};
    m.version = StructVersion(sizeof m, 2);
    nvmlReturn_t rc = nvml.memoryV2(device, &m);
    name = "nvmlDeviceGetMemoryInfo_v2";
    if (rc == NVML_SUCCESS) total = static_cast<double>(m.total), used = static_cast<double>(m.used);
    if (!Unanswered(rc) || !nvml.memory) return rc;
  }
  nvmlMemory_t m{};
  nvmlReturn_t rc = nvml.memory(device, &m);
  name = "nvmlDeviceGetMemoryInfo";
  if (rc == NVML_SUCCESS) total = static_cast<double>(m.total), used = static_cast<double>(m.used);
  return rc;
}

nvmlReturn_t Temperature(const Nvml& nvml, nvmlDevice_t device, double& celsius, const char*& name) {
  if (nvml.temperatureV) {
    nvmlTemperature_v1_t t{};
    t.version = StructVersion(sizeof t, 1);
    t.sensorType = NVML_TEMPERATURE_GPU;
    nvmlReturn_t rc = nvml.temperatureV(device, &t);
    name = "nvmlDeviceGetTemperatureV";
    if (rc == NVML_SUCCESS) celsius = t.temperature;
    if (!Unanswered(rc) || !nvml.temperature) return rc;
  }
  unsigned int value = 0;
  nvmlReturn_t rc = nvml.temperature(device, NVML_TEMPERATURE_GPU, &value);
  name = "nvmlDeviceGetTemperature";
  if (rc == NVML_SUCCESS) celsius = value;
  return rc;
}

void ReadMig(const Nvml& nvml, nvmlDevice_t device, GpuRecord& gpu) {
  unsigned int current = 0, pending = 0, max = 0;
  if (!nvml.migMode || nvml.migMode(device, &current, &pending) != NVML_SUCCESS) return;
  gpu.migEnabled = current == NVML_DEVICE_MIG_ENABLE;
  if (!*gpu.migEnabled || !nvml.maxMigDevices || !nvml.migByIndex || nvml.maxMigDevices(device, &max) != NVML_SUCCESS) return;
  for (unsigned int i = 0; i < max; i++) {
    nvmlDevice_t instance = nullptr;
    nvmlReturn_t rc = nvml.migByIndex(device, i, &instance);
    if (rc == NVML_ERROR_NOT_FOUND) continue;  // a free slot
    if (rc != NVML_SUCCESS) break;
    MigRecord mig;
    mig.index = static_cast<uint32_t>(gpu.mig.size());
    if (nvml.gpuInstanceId) nvml.gpuInstanceId(instance, &mig.gpuInstanceId);
    if (nvml.computeInstanceId) nvml.computeInstanceId(instance, &mig.computeInstanceId);
    double total = 0, used = 0;
    const char* name = "";
    if ((nvml.memory || nvml.memoryV2) && Memory(nvml, instance, total, used, name) == NVML_SUCCESS) {
      mig.memoryTotalBytes = total;
      mig.memoryUsedBytes = used;
    }
    gpu.mig.push_back(mig);
  }
}

GpuRecord ReadDevice(const Nvml& nvml, unsigned int index) {
  GpuRecord gpu;
  gpu.index = index;
  nvmlDevice_t device = nullptr;
  // A GPU that fell off the bus fails here already; it is listed with the error (the JS side adds its bus id).
  nvmlReturn_t rc = nvml.byIndex(index, &device);
  if (rc != NVML_SUCCESS) return BrokenGpu(gpu, ErrorCode(rc), ErrorText(nvml, rc));
  Reader read(nvml, gpu);
  nvmlPciInfo_t pci{};
  if (read.Read("pciBusId", "nvmlDeviceGetPciInfo_v3", nvml.pci, [&] { return nvml.pci(device, &pci); })) gpu.pciBusId = pci.busId;
  char text[96] = {};
  if (read.Read("name", "nvmlDeviceGetName", nvml.name, [&] { return nvml.name(device, text, sizeof text); })) gpu.name = text;
  if (read.Read("uuid", "nvmlDeviceGetUUID", nvml.uuid, [&] { return nvml.uuid(device, text, sizeof text); })) gpu.uuid = text;
  double total = 0, used = 0, celsius = 0;
  const char* memoryCall = nvml.memoryV2 ? "nvmlDeviceGetMemoryInfo_v2" : "nvmlDeviceGetMemoryInfo";
  if (read.Read("memoryTotalBytes", memoryCall, nvml.memory || nvml.memoryV2, [&] { return Memory(nvml, device, total, used, memoryCall); })) {
    gpu.memoryTotalBytes = total;
    gpu.memoryUsedBytes = used;
  }
  gpu.sources.emplace_back("memoryUsedBytes", gpu.sources.back().second);
  nvmlUtilization_t use{};
  if (read.Read("utilizationPercent", "nvmlDeviceGetUtilizationRates", nvml.utilization, [&] { return nvml.utilization(device, &use); }))
    gpu.utilizationPercent = use.gpu;
  const char* temperatureCall = nvml.temperatureV ? "nvmlDeviceGetTemperatureV" : "nvmlDeviceGetTemperature";
  if (read.Read("temperatureC", temperatureCall, nvml.temperature || nvml.temperatureV, [&] { return Temperature(nvml, device, celsius, temperatureCall); }))
    gpu.temperatureC = celsius;
  unsigned int milliwatts = 0;
  // NVML's reading is a 1 s average on Ampere (except GA100) and newer, instantaneous before; nvidia-smi's
  // average_power_draw / power_draw are the same numbers.
  if (read.Read("powerDrawW", "nvmlDeviceGetPowerUsage", nvml.power, [&] { return nvml.power(device, &milliwatts); }))
    gpu.powerDrawMilliwatts = milliwatts;
  if (read.Read("powerLimitW", "nvmlDeviceGetEnforcedPowerLimit", nvml.powerLimit, [&] { return nvml.powerLimit(device, &milliwatts); }))
    gpu.powerLimitMilliwatts = milliwatts;
  int major = 0, minor = 0;
  if (read.Read("computeCapability", "nvmlDeviceGetCudaComputeCapability", nvml.computeCapability,
                [&] { return nvml.computeCapability(device, &major, &minor); }))
    gpu.computeCapability = std::to_string(major) + "." + std::to_string(minor);
  if (read.gone() != NVML_SUCCESS) return BrokenGpu(gpu, ErrorCode(read.gone()), ErrorText(nvml, read.gone()));
  ReadMig(nvml, device, gpu);
  return gpu;
}

// Only init, count and the handle call are required; every reading is bound on its own.
bool BindAll(void* lib, Nvml& nvml) {
  bool complete = Bind(lib, nvml.init, {"nvmlInit_v2", "nvmlInit"}) & Bind(lib, nvml.count, {"nvmlDeviceGetCount_v2", "nvmlDeviceGetCount"}) &
             Bind(lib, nvml.byIndex, {"nvmlDeviceGetHandleByIndex_v2", "nvmlDeviceGetHandleByIndex"});
  Bind(lib, nvml.errorString, {"nvmlErrorString"});
  Bind(lib, nvml.driverVersion, {"nvmlSystemGetDriverVersion"});
  Bind(lib, nvml.cudaVersion, {"nvmlSystemGetCudaDriverVersion_v2", "nvmlSystemGetCudaDriverVersion"});
  Bind(lib, nvml.name, {"nvmlDeviceGetName"});
  Bind(lib, nvml.uuid, {"nvmlDeviceGetUUID"});
  Bind(lib, nvml.pci, {"nvmlDeviceGetPciInfo_v3", "nvmlDeviceGetPciInfo_v2"});
  Bind(lib, nvml.memory, {"nvmlDeviceGetMemoryInfo"});
  Bind(lib, nvml.memoryV2, {"nvmlDeviceGetMemoryInfo_v2"});
  Bind(lib, nvml.utilization, {"nvmlDeviceGetUtilizationRates"});
  Bind(lib, nvml.temperature, {"nvmlDeviceGetTemperature"});
  Bind(lib, nvml.temperatureV, {"nvmlDeviceGetTemperatureV"});
  Bind(lib, nvml.power, {"nvmlDeviceGetPowerUsage"});
  Bind(lib, nvml.powerLimit, {"nvmlDeviceGetEnforcedPowerLimit"});
  Bind(lib, nvml.computeCapability, {"nvmlDeviceGetCudaComputeCapability"});
  Bind(lib, nvml.migMode, {"nvmlDeviceGetMigMode"});
  Bind(lib, nvml.maxMigDevices, {"nvmlDeviceGetMaxMigDeviceCount"});
  Bind(lib, nvml.migByIndex, {"nvmlDeviceGetMigDeviceHandleByIndex"});
  Bind(lib, nvml.gpuInstanceId, {"nvmlDeviceGetGpuInstanceId"});
  Bind(lib, nvml.computeInstanceId, {"nvmlDeviceGetComputeInstanceId"});
  return complete;
}

std::optional<VendorResult> Init(Nvml& nvml) {
  nvmlReturn_t rc = nvml.init();
  if (rc == NVML_SUCCESS) return std::nullopt;
  return Failed({}, ErrorCode(rc), ErrorText(nvml, rc));
}

VendorResult ReadAll(Nvml& nvml, VendorResult result) {
  char version[96];
  if (nvml.driverVersion && nvml.driverVersion(version, sizeof version) == NVML_SUCCESS) result.driverVersion = version;
  int cuda = 0;
  if (nvml.cudaVersion && nvml.cudaVersion(&cuda) == NVML_SUCCESS)
    result.runtimeVersion = std::to_string(cuda / 1000) + "." + std::to_string((cuda % 1000) / 10);
  unsigned int count = 0;
  nvmlReturn_t rc = nvml.count(&count);
  if (rc != NVML_SUCCESS) {
    return Failed(std::move(result), ErrorCode(rc), ErrorText(nvml, rc));
  }
  for (unsigned int i = 0; i < count; i++) result.gpus.push_back(ReadDevice(nvml, i));
  return result;
}

}  // namespace

VendorResult ProbeNvidia(const std::string& library) {
  return libraries.Probe(library, "NVIDIA driver library not found", Failed({}, "driver-too-old", "its NVML library cannot list GPUs"),
                         BindAll, Init, ReadAll);
}

}  // namespace synor
