// AMD through ROCm SMI (librocm_smi64), loaded with dlopen at run time like NVML. Only init and the device count are
// required; each reading is bound and read on its own, so a card that declines one (RSMI_STATUS_NOT_SUPPORTED: the
// unique id on Radeon cards, the edge sensor on MI300-class parts) still answers the rest, as rocm-smi does.
#include <cstdio>

#include "runtime-library.h"
#include "probe.h"

namespace synor {
namespace {

// The subset of rocm_smi.h we call (values from AMD's public header).
typedef int rsmi_status_t;
constexpr rsmi_status_t RSMI_STATUS_SUCCESS = 0;
constexpr rsmi_status_t RSMI_STATUS_PERMISSION = 4;
constexpr rsmi_status_t RSMI_STATUS_INIT_ERROR = 8;
constexpr int RSMI_MEM_TYPE_VRAM = 0;
constexpr uint32_t RSMI_TEMP_TYPE_EDGE = 0;
constexpr uint32_t RSMI_TEMP_TYPE_JUNCTION = 1;  // "hotspot" in newer tools
constexpr int RSMI_TEMP_CURRENT = 0;
constexpr int RSMI_SW_COMP_DRIVER = 0;

struct Rsmi {
  // Required.
  rsmi_status_t (*init)(uint64_t);
  rsmi_status_t (*count)(uint32_t*);
  // Optional, each on its own.
  rsmi_status_t (*statusString)(rsmi_status_t, const char**);
  rsmi_status_t (*name)(uint32_t, char*, size_t);
  rsmi_status_t (*uniqueId)(uint32_t, uint64_t*);
  rsmi_status_t (*pciId)(uint32_t, uint64_t*);
  rsmi_status_t (*memoryTotal)(uint32_t, int, uint64_t*);
  rsmi_status_t (*memoryUsed)(uint32_t, int, uint64_t*);
  rsmi_status_t (*busy)(uint32_t, uint32_t*);
  rsmi_status_t (*temperature)(uint32_t, uint32_t, int, int64_t*);
  // rsmi_dev_power_get is what rocm-smi itself reads (ROCm 5.7+); rsmi_dev_power_ave_get is deprecated.
  rsmi_status_t (*power)(uint32_t, uint64_t*, int*);
  rsmi_status_t (*powerAverage)(uint32_t, uint32_t, uint64_t*);
  rsmi_status_t (*powerCap)(uint32_t, uint32_t, uint64_t*);
  rsmi_status_t (*version)(int, char*, uint32_t);
};

DriverLibraries<Rsmi> libraries;

std::string ErrorCode(rsmi_status_t rc) {
  switch (rc) {
    case RSMI_STATUS_INIT_ERROR: return "driver-not-loaded";
    case RSMI_STATUS_PERMISSION: return "no-permission";
    default: return "driver-error";
  }
}

std::string ErrorText(const Rsmi& rsmi, rsmi_status_t rc) {
  const char* text = nullptr;
  if (!rsmi.statusString || rsmi.statusString(rc, &text) != RSMI_STATUS_SUCCESS || !text) return "status " + std::to_string(rc);
  return text;
}

// Notes per field which call answered or why not; true when it answered.
class Reader {
 public:
  Reader(const Rsmi& rsmi, GpuRecord& gpu) : rsmi_(rsmi), gpu_(gpu) {}
  template <typename Call>
  bool Read(const char* field, const char* const& name, bool bound, Call&& call) {
    if (!bound) {
      gpu_.sources.emplace_back(field, std::string(name) + " missing in this ROCm");
      return false;
    }
    rsmi_status_t rc = call();
    gpu_.sources.emplace_back(field, rc == RSMI_STATUS_SUCCESS ? std::string(name) : std::string(name) + ": " + ErrorText(rsmi_, rc));
    return rc == RSMI_STATUS_SUCCESS;
  }

 private:
  const Rsmi& rsmi_;
  GpuRecord& gpu_;
};

GpuRecord ReadDevice(const Rsmi& rsmi, uint32_t index) {
  GpuRecord gpu;
  gpu.index = index;
  Reader read(rsmi, gpu);
  uint64_t u64 = 0;
  if (read.Read("pciBusId", "rsmi_dev_pci_id_get", rsmi.pciId, [&] { return rsmi.pciId(index, &u64); })) {
    // BDFID layout from rocm_smi.h: domain << 32 | bus << 8 | device << 3 | function.
    char id[32];
    std::snprintf(id, sizeof id, "%04x:%02x:%02x.%x", static_cast<unsigned>(u64 >> 32), static_cast<unsigned>((u64 >> 8) & 0xff),
                  static_cast<unsigned>((u64 >> 3) & 0x1f), static_cast<unsigned>(u64 & 0x7));
    gpu.pciBusId = id;
  }
  char text[256] = {};
  if (read.Read("name", "rsmi_dev_name_get", rsmi.name, [&] { return rsmi.name(index, text, sizeof text); })) gpu.name = text;
  if (read.Read("uuid", "rsmi_dev_unique_id_get", rsmi.uniqueId, [&] { return rsmi.uniqueId(index, &u64); })) {
    char id[24];
    std::snprintf(id, sizeof id, "0x%llx", static_cast<unsigned long long>(u64));
    gpu.uuid = id;
  }
  if (read.Read("memoryTotalBytes", "rsmi_dev_memory_total_get", rsmi.memoryTotal, [&] { return rsmi.memoryTotal(index, RSMI_MEM_TYPE_VRAM, &u64); }))
    gpu.memoryTotalBytes = static_cast<double>(u64);
  if (read.Read("memoryUsedBytes", "rsmi_dev_memory_usage_get", rsmi.memoryUsed, [&] { return rsmi.memoryUsed(index, RSMI_MEM_TYPE_VRAM, &u64); }))
    gpu.memoryUsedBytes = static_cast<double>(u64);
  uint32_t busy = 0;
  if (read.Read("utilizationPercent", "rsmi_dev_busy_percent_get", rsmi.busy, [&] { return rsmi.busy(index, &busy); })) gpu.utilizationPercent = busy;
  // MI300-class parts have no edge sensor: the junction (hotspot) one stands in, as in rocm-smi.
  int64_t millidegrees = 0;
  const char* sensor = "rsmi_dev_temp_metric_get(edge)";
  bool temperature = read.Read("temperatureC", sensor, rsmi.temperature, [&] {
    rsmi_status_t rc = rsmi.temperature(index, RSMI_TEMP_TYPE_EDGE, RSMI_TEMP_CURRENT, &millidegrees);
    if (rc == RSMI_STATUS_SUCCESS) return rc;
    sensor = "rsmi_dev_temp_metric_get(junction)";
    return rsmi.temperature(index, RSMI_TEMP_TYPE_JUNCTION, RSMI_TEMP_CURRENT, &millidegrees);
  });
  if (temperature) gpu.temperatureC = static_cast<double>(millidegrees) / 1000;
  // ROCm reports microwatts; milliwatts here so the JS side converts NVML and ROCm alike.
  const char* powerCall = rsmi.power ? "rsmi_dev_power_get" : "rsmi_dev_power_ave_get";
  if (read.Read("powerDrawW", powerCall, rsmi.power || rsmi.powerAverage, [&] {
        int type = 0;
        return rsmi.power ? rsmi.power(index, &u64, &type) : rsmi.powerAverage(index, 0, &u64);
      }))
    gpu.powerDrawMilliwatts = static_cast<double>(u64) / 1000;
  if (read.Read("powerLimitW", "rsmi_dev_power_cap_get", rsmi.powerCap, [&] { return rsmi.powerCap(index, 0, &u64); }))
    gpu.powerLimitMilliwatts = static_cast<double>(u64) / 1000;
  return gpu;
}

// Only init and the device count are required; each reading is bound on its own.
bool BindAll(void* lib, Rsmi& rsmi) {
  bool complete = Bind(lib, rsmi.init, {"rsmi_init"}) & Bind(lib, rsmi.count, {"rsmi_num_monitor_devices"});
  Bind(lib, rsmi.statusString, {"rsmi_status_string"});
  Bind(lib, rsmi.name, {"rsmi_dev_name_get"});
  Bind(lib, rsmi.uniqueId, {"rsmi_dev_unique_id_get"});
  Bind(lib, rsmi.pciId, {"rsmi_dev_pci_id_get"});
  Bind(lib, rsmi.memoryTotal, {"rsmi_dev_memory_total_get"});
  Bind(lib, rsmi.memoryUsed, {"rsmi_dev_memory_usage_get"});
  Bind(lib, rsmi.busy, {"rsmi_dev_busy_percent_get"});
  Bind(lib, rsmi.temperature, {"rsmi_dev_temp_metric_get"});
  Bind(lib, rsmi.power, {"rsmi_dev_power_get"});
  Bind(lib, rsmi.powerAverage, {"rsmi_dev_power_ave_get"});
  Bind(lib, rsmi.powerCap, {"rsmi_dev_power_cap_get"});
  Bind(lib, rsmi.version, {"rsmi_version_str_get"});
  return complete;
}

std::optional<VendorResult> Init(Rsmi& rsmi) {
  rsmi_status_t rc = rsmi.init(0);
  if (rc == RSMI_STATUS_SUCCESS) return std::nullopt;
  return Failed({}, ErrorCode(rc), ErrorText(rsmi, rc));
}

VendorResult ReadAll(Rsmi& rsmi, VendorResult result) {
  char version[64];
  if (rsmi.version && rsmi.version(RSMI_SW_COMP_DRIVER, version, sizeof version) == RSMI_STATUS_SUCCESS) result.driverVersion = version;
  uint32_t count = 0;
  rsmi_status_t rc = rsmi.count(&count);
  if (rc != RSMI_STATUS_SUCCESS) {
    return Failed(std::move(result), ErrorCode(rc), ErrorText(rsmi, rc));
  }
  for (uint32_t i = 0; i < count; i++) result.gpus.push_back(ReadDevice(rsmi, i));
  return result;
}

}  // namespace

VendorResult ProbeAmd(const std::string& library) {
  return libraries.Probe(library, "AMD ROCm library not found", Failed({}, "driver-too-old", "ROCm SMI cannot list GPUs"), BindAll, Init,
                         ReadAll);
}

}  // namespace synor
