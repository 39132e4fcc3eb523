// AMD through ROCm SMI (librocm_smi64), loaded with dlopen at run time like NVML.
#include <cstdio>
#include <map>
#include <mutex>

#include "probe.h"

namespace synor {
namespace {

// The subset of rocm_smi.h we call (values from AMD's public header).
typedef int rsmi_status_t;
constexpr rsmi_status_t RSMI_STATUS_SUCCESS = 0;
constexpr rsmi_status_t RSMI_STATUS_NOT_SUPPORTED = 2;
constexpr rsmi_status_t RSMI_STATUS_PERMISSION = 4;
constexpr rsmi_status_t RSMI_STATUS_INIT_ERROR = 8;
constexpr int RSMI_MEM_TYPE_VRAM = 0;
constexpr uint32_t RSMI_TEMP_TYPE_EDGE = 0;
constexpr int RSMI_TEMP_CURRENT = 0;
constexpr int RSMI_SW_COMP_DRIVER = 0;

struct Rsmi {
  rsmi_status_t (*init)(uint64_t);
  rsmi_status_t (*statusString)(rsmi_status_t, const char**);
  rsmi_status_t (*count)(uint32_t*);
  rsmi_status_t (*name)(uint32_t, char*, size_t);
  rsmi_status_t (*uniqueId)(uint32_t, uint64_t*);
  rsmi_status_t (*pciId)(uint32_t, uint64_t*);
  rsmi_status_t (*memoryTotal)(uint32_t, int, uint64_t*);
  rsmi_status_t (*memoryUsed)(uint32_t, int, uint64_t*);
  rsmi_status_t (*busy)(uint32_t, uint32_t*);
  rsmi_status_t (*temperature)(uint32_t, uint32_t, int, int64_t*);
  rsmi_status_t (*power)(uint32_t, uint32_t, uint64_t*);
  rsmi_status_t (*powerCap)(uint32_t, uint32_t, uint64_t*);
  rsmi_status_t (*version)(int, char*, uint32_t);
  bool initialized = false;
};

template <typename F>
bool Bind(void* lib, const char* name, F& fn) {
  fn = reinterpret_cast<F>(FindSymbol(lib, name));
  return fn != nullptr;
}

std::mutex lock;
std::map<std::string, Rsmi> loaded;

std::string ErrorCode(rsmi_status_t rc) {
  switch (rc) {
    case RSMI_STATUS_INIT_ERROR: return "driver-not-loaded";
    case RSMI_STATUS_PERMISSION: return "no-permission";
    default: return "driver-error";
  }
}

std::string ErrorText(const Rsmi& rsmi, rsmi_status_t rc) {
  const char* text = nullptr;
  if (rsmi.statusString(rc, &text) != RSMI_STATUS_SUCCESS || !text) return "unknown error";
  return text;
}

template <typename T>
std::optional<double> Reading(rsmi_status_t rc, T value, double divisor, rsmi_status_t& failure) {
  if (rc == RSMI_STATUS_SUCCESS) return static_cast<double>(value) / divisor;
  if (rc != RSMI_STATUS_NOT_SUPPORTED && failure == RSMI_STATUS_SUCCESS) failure = rc;
  return std::nullopt;
}

GpuRecord ReadDevice(const Rsmi& rsmi, uint32_t index) {
  GpuRecord gpu;
  gpu.index = index;
  rsmi_status_t failure = RSMI_STATUS_SUCCESS;
  uint64_t bdf = 0;
  if ((failure = rsmi.pciId(index, &bdf)) == RSMI_STATUS_SUCCESS) {
    // BDFID layout from rocm_smi.h: domain << 32 | bus << 8 | device << 3 | function.
    char id[32];
    std::snprintf(id, sizeof id, "%04x:%02x:%02x.%x", static_cast<unsigned>(bdf >> 32),
                  static_cast<unsigned>((bdf >> 8) & 0xff), static_cast<unsigned>((bdf >> 3) & 0x1f),
                  static_cast<unsigned>(bdf & 0x7));
    gpu.pciBusId = id;
  }
  char text[256];
  if (failure == RSMI_STATUS_SUCCESS && (failure = rsmi.name(index, text, sizeof text)) == RSMI_STATUS_SUCCESS)
    gpu.name = text;
  uint64_t u64 = 0;
  if (failure == RSMI_STATUS_SUCCESS) {
    rsmi_status_t rc = rsmi.uniqueId(index, &u64);
    if (rc == RSMI_STATUS_SUCCESS) {
      char id[24];
      std::snprintf(id, sizeof id, "0x%llx", static_cast<unsigned long long>(u64));
      gpu.uuid = id;
    } else if (rc != RSMI_STATUS_NOT_SUPPORTED) {
      failure = rc;
    }
  }
  if (failure == RSMI_STATUS_SUCCESS) {
    // Each call runs before its value is read (argument evaluation order is unspecified in C++).
    rsmi_status_t rc = rsmi.memoryTotal(index, RSMI_MEM_TYPE_VRAM, &u64);
    gpu.memoryTotalBytes = Reading(rc, u64, 1, failure);
    rc = rsmi.memoryUsed(index, RSMI_MEM_TYPE_VRAM, &u64);
    gpu.memoryUsedBytes = Reading(rc, u64, 1, failure);
    uint32_t busy = 0;
    rc = rsmi.busy(index, &busy);
    gpu.utilizationPercent = Reading(rc, busy, 1, failure);
    int64_t millidegrees = 0;
    rc = rsmi.temperature(index, RSMI_TEMP_TYPE_EDGE, RSMI_TEMP_CURRENT, &millidegrees);
    gpu.temperatureC = Reading(rc, millidegrees, 1000, failure);
    // ROCm reports microwatts; milliwatts here so the JS side converts NVML and ROCm alike.
    rc = rsmi.power(index, 0, &u64);
    gpu.powerDrawMilliwatts = Reading(rc, u64, 1000, failure);
    rc = rsmi.powerCap(index, 0, &u64);
    gpu.powerLimitMilliwatts = Reading(rc, u64, 1000, failure);
  }
  if (failure != RSMI_STATUS_SUCCESS) return BrokenGpu(gpu, ErrorCode(failure), ErrorText(rsmi, failure));
  return gpu;
}

}  // namespace

VendorResult ProbeAmd(const std::string& library) {
  std::lock_guard<std::mutex> guard(lock);
  VendorResult result;
  auto found = loaded.find(library);
  if (found == loaded.end()) {
    void* lib = OpenLibrary(library);
    if (!lib) {
      result.code = "not-installed";
      result.message = "AMD ROCm library not found";
      return result;
    }
    Rsmi rsmi{};
    bool complete = Bind(lib, "rsmi_init", rsmi.init) && Bind(lib, "rsmi_status_string", rsmi.statusString) &&
                    Bind(lib, "rsmi_num_monitor_devices", rsmi.count) && Bind(lib, "rsmi_dev_name_get", rsmi.name) &&
                    Bind(lib, "rsmi_dev_unique_id_get", rsmi.uniqueId) && Bind(lib, "rsmi_dev_pci_id_get", rsmi.pciId) &&
                    Bind(lib, "rsmi_dev_memory_total_get", rsmi.memoryTotal) &&
                    Bind(lib, "rsmi_dev_memory_usage_get", rsmi.memoryUsed) &&
                    Bind(lib, "rsmi_dev_busy_percent_get", rsmi.busy) &&
                    Bind(lib, "rsmi_dev_temp_metric_get", rsmi.temperature) &&
                    Bind(lib, "rsmi_dev_power_ave_get", rsmi.power) && Bind(lib, "rsmi_dev_power_cap_get", rsmi.powerCap) &&
                    Bind(lib, "rsmi_version_str_get", rsmi.version);
    if (!complete) {
      return Failed(std::move(result), "driver-too-old", "ROCm SMI lacks functions this app needs");
    }
    found = loaded.emplace(library, rsmi).first;
  }
  Rsmi& rsmi = found->second;
  if (!rsmi.initialized) {
    rsmi_status_t rc = rsmi.init(0);
    if (rc != RSMI_STATUS_SUCCESS) {
      return Failed(std::move(result), ErrorCode(rc), ErrorText(rsmi, rc));
    }
    rsmi.initialized = true;
  }
  result.status = "found";
  char version[64];
  if (rsmi.version(RSMI_SW_COMP_DRIVER, version, sizeof version) == RSMI_STATUS_SUCCESS) result.driverVersion = version;
  uint32_t count = 0;
  rsmi_status_t rc = rsmi.count(&count);
  if (rc != RSMI_STATUS_SUCCESS) {
    return Failed(std::move(result), ErrorCode(rc), ErrorText(rsmi, rc));
  }
  for (uint32_t i = 0; i < count; i++) result.gpus.push_back(ReadDevice(rsmi, i));
  return result;
}

}  // namespace synor
