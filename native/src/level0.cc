// Intel GPUs through Level Zero's sysman API (libze_loader), loaded with dlopen at run time like NVML. Needs
// zesInit (loader 1.5+); older loaders and machines without one answer "absent" and the JS side reads the DRM sysfs.
// Each reading is asked on its own; a device that declines one (ZE_RESULT_ERROR_UNSUPPORTED_FEATURE) is still listed.
#include <cstdio>
#include <cstring>
#include <vector>

#include "runtime-library.h"
#include "probe.h"

namespace synor {
namespace {

// The subset of ze_api.h / zes_api.h we call (types and values from Intel's public headers).
typedef uint32_t ze_result_t;
typedef uint8_t ze_bool_t;
typedef struct _zes_driver_handle_t* zes_driver_handle_t;
typedef struct _zes_device_handle_t* zes_device_handle_t;
typedef struct _zes_mem_handle_t* zes_mem_handle_t;
typedef struct _zes_temp_handle_t* zes_temp_handle_t;
constexpr ze_result_t ZE_RESULT_SUCCESS = 0;
constexpr ze_result_t ZE_RESULT_ERROR_DEVICE_LOST = 0x70000001;
constexpr ze_result_t ZE_RESULT_ERROR_INSUFFICIENT_PERMISSIONS = 0x70010000;
constexpr ze_result_t ZE_RESULT_ERROR_UNINITIALIZED = 0x78000001;
constexpr uint32_t ZES_STRUCTURE_TYPE_DEVICE_PROPERTIES = 0x1;
constexpr uint32_t ZES_STRUCTURE_TYPE_PCI_PROPERTIES = 0x2;
constexpr uint32_t ZES_STRUCTURE_TYPE_MEM_PROPERTIES = 0xb;
constexpr uint32_t ZES_STRUCTURE_TYPE_TEMP_PROPERTIES = 0x14;
constexpr uint32_t ZES_STRUCTURE_TYPE_MEM_STATE = 0x1e;
constexpr uint32_t ZE_STRUCTURE_TYPE_DEVICE_PROPERTIES = 0x3;
constexpr uint32_t ZE_DEVICE_TYPE_GPU = 1;
constexpr uint32_t ZE_DEVICE_PROPERTY_FLAG_INTEGRATED = 1;
constexpr uint32_t ZES_MEM_LOC_DEVICE = 1;
constexpr uint32_t ZES_TEMP_SENSORS_GPU = 1;

struct ze_device_properties_t {
  uint32_t stype;
  void* pNext;
  uint32_t type, vendorId, deviceId, flags, subdeviceId, coreClockRate;
  uint64_t maxMemAllocSize;
  uint32_t maxHardwareContexts, maxCommandQueuePriority, numThreadsPerEU, physicalEUSimdWidth, numEUsPerSubslice,
      numSubslicesPerSlice, numSlices;
  uint64_t timerResolution;
  uint32_t timestampValidBits, kernelTimestampValidBits;
  uint8_t uuid[16];
  char name[256];
};
struct zes_device_properties_t {
  uint32_t stype;
  void* pNext;
  ze_device_properties_t core;
  uint32_t numSubdevices;
  char serialNumber[64], boardNumber[64], brandName[64], modelName[64], vendorName[64], driverVersion[64];
};
struct zes_pci_properties_t {
  uint32_t stype;
  void* pNext;
  uint32_t domain, bus, device, function;
  int32_t gen, width;
  int64_t maxBandwidth;
  ze_bool_t haveBandwidthCounters, havePacketCounters, haveReplayCounters;
};
struct zes_mem_properties_t {
  uint32_t stype;
  void* pNext;
  uint32_t type;
  ze_bool_t onSubdevice;
  uint32_t subdeviceId, location;
  uint64_t physicalSize;
  int32_t busWidth, numChannels;
};
struct zes_mem_state_t {
  uint32_t stype;
  const void* pNext;
  uint32_t health;
  uint64_t free, size;
};
struct zes_temp_properties_t {
  uint32_t stype;
  void* pNext;
  uint32_t type;
  ze_bool_t onSubdevice;
  uint32_t subdeviceId;
  double maxTemperature;
  ze_bool_t isCriticalTempSupported, isThreshold1Supported, isThreshold2Supported;
};

struct Ze {
  ze_result_t (*init)(uint32_t);
  ze_result_t (*drivers)(uint32_t*, zes_driver_handle_t*);
  ze_result_t (*devices)(zes_driver_handle_t, uint32_t*, zes_device_handle_t*);
  ze_result_t (*properties)(zes_device_handle_t, zes_device_properties_t*);
  ze_result_t (*pci)(zes_device_handle_t, zes_pci_properties_t*);
  ze_result_t (*memories)(zes_device_handle_t, uint32_t*, zes_mem_handle_t*);
  ze_result_t (*memoryProperties)(zes_mem_handle_t, zes_mem_properties_t*);
  ze_result_t (*memoryState)(zes_mem_handle_t, zes_mem_state_t*);
  ze_result_t (*sensors)(zes_device_handle_t, uint32_t*, zes_temp_handle_t*);
  ze_result_t (*sensorProperties)(zes_temp_handle_t, zes_temp_properties_t*);
  ze_result_t (*sensorState)(zes_temp_handle_t, double*);
};

DriverLibraries<Ze> libraries;

std::string ErrorCode(ze_result_t rc) {
  switch (rc) {
    case ZE_RESULT_ERROR_UNINITIALIZED: return "driver-not-loaded";
    case ZE_RESULT_ERROR_INSUFFICIENT_PERMISSIONS: return "no-permission";
    case ZE_RESULT_ERROR_DEVICE_LOST: return "gpu-lost";
    default: return "driver-error";
  }
}

std::string Hex(ze_result_t rc) {
  char text[16];
  std::snprintf(text, sizeof text, "0x%x", rc);
  return text;
}

// Handles of one kind (memory modules, sensors): the count call, then the list.
template <typename Handle, typename Enum>
std::vector<Handle> Enumerate(Enum enumerate, zes_device_handle_t device) {
  uint32_t count = 0;
  if (!enumerate || enumerate(device, &count, nullptr) != ZE_RESULT_SUCCESS || count == 0) return {};
  std::vector<Handle> handles(count);
  if (enumerate(device, &count, handles.data()) != ZE_RESULT_SUCCESS) return {};
  handles.resize(count);
  return handles;
}

GpuRecord ReadDevice(const Ze& ze, zes_device_handle_t device, const zes_device_properties_t& props, uint32_t index) {
  GpuRecord gpu;
  gpu.index = index;
  gpu.name = props.core.name;
  gpu.sources.emplace_back("name", "zesDeviceGetProperties");
  zes_pci_properties_t pci{};
  pci.stype = ZES_STRUCTURE_TYPE_PCI_PROPERTIES;
  ze_result_t rc = ze.pci ? ze.pci(device, &pci) : ZE_RESULT_ERROR_UNINITIALIZED;
  if (rc == ZE_RESULT_SUCCESS) {
    char bus[32];
    std::snprintf(bus, sizeof bus, "%04x:%02x:%02x.%x", pci.domain, pci.bus, pci.device, pci.function);
    gpu.pciBusId = bus;
  }
  gpu.sources.emplace_back("pciBusId", rc == ZE_RESULT_SUCCESS ? "zesDevicePciGetProperties" : "zesDevicePciGetProperties: " + Hex(rc));
  // Integrated GPUs have no memory module of their own; the JS side gives them the system's.
  gpu.unifiedMemory = (props.core.flags & ZE_DEVICE_PROPERTY_FLAG_INTEGRATED) != 0;
  double total = 0, used = 0;
  bool memory = false;
  for (zes_mem_handle_t module : Enumerate<zes_mem_handle_t>(ze.memories, device)) {
    zes_mem_properties_t mp{};
    mp.stype = ZES_STRUCTURE_TYPE_MEM_PROPERTIES;
    zes_mem_state_t state{};
    state.stype = ZES_STRUCTURE_TYPE_MEM_STATE;
    if (!ze.memoryProperties || ze.memoryProperties(module, &mp) != ZE_RESULT_SUCCESS || mp.location != ZES_MEM_LOC_DEVICE) continue;
    if (!ze.memoryState || ze.memoryState(module, &state) != ZE_RESULT_SUCCESS) continue;
    total += static_cast<double>(state.size);
    used += static_cast<double>(state.size - state.free);
    memory = true;
  }
  if (memory) gpu.memoryTotalBytes = total, gpu.memoryUsedBytes = used;
  const char* memorySource = memory ? "zesMemoryGetState" : "zesMemoryGetState: no device memory module";
  gpu.sources.emplace_back("memoryTotalBytes", memorySource);
  gpu.sources.emplace_back("memoryUsedBytes", memorySource);
  for (zes_temp_handle_t sensor : Enumerate<zes_temp_handle_t>(ze.sensors, device)) {
    zes_temp_properties_t tp{};
    tp.stype = ZES_STRUCTURE_TYPE_TEMP_PROPERTIES;
    double celsius = 0;
    if (!ze.sensorProperties || ze.sensorProperties(sensor, &tp) != ZE_RESULT_SUCCESS || tp.type != ZES_TEMP_SENSORS_GPU) continue;
    if (ze.sensorState && ze.sensorState(sensor, &celsius) == ZE_RESULT_SUCCESS) {
      gpu.temperatureC = celsius;
      break;
    }
  }
  gpu.sources.emplace_back("temperatureC", gpu.temperatureC ? "zesTemperatureGetState" : "zesTemperatureGetState: no GPU sensor");
  return gpu;
}

// zesInit and the device listing calls are required; each reading is bound on its own.
bool BindAll(void* lib, Ze& ze) {
  bool complete = Bind(lib, ze.init, {"zesInit"}) & Bind(lib, ze.drivers, {"zesDriverGet"}) & Bind(lib, ze.devices, {"zesDeviceGet"}) &
                  Bind(lib, ze.properties, {"zesDeviceGetProperties"});
  Bind(lib, ze.pci, {"zesDevicePciGetProperties"});
  Bind(lib, ze.memories, {"zesDeviceEnumMemoryModules"});
  Bind(lib, ze.memoryProperties, {"zesMemoryGetProperties"});
  Bind(lib, ze.memoryState, {"zesMemoryGetState"});
  Bind(lib, ze.sensors, {"zesDeviceEnumTemperatureSensors"});
  Bind(lib, ze.sensorProperties, {"zesTemperatureGetProperties"});
  Bind(lib, ze.sensorState, {"zesTemperatureGetState"});
  return complete;
}

std::optional<VendorResult> Init(Ze& ze) {
  ze_result_t rc = ze.init(0);
  if (rc == ZE_RESULT_SUCCESS) return std::nullopt;
  return Failed({}, ErrorCode(rc), "zesInit: " + Hex(rc));
}

VendorResult ReadAll(Ze& ze, VendorResult result) {
  uint32_t count = 0;
  ze_result_t rc = ze.drivers(&count, nullptr);
  if (rc != ZE_RESULT_SUCCESS) return Failed(std::move(result), ErrorCode(rc), "zesDriverGet: " + Hex(rc));
  std::vector<zes_driver_handle_t> drivers(count);
  if (count && ze.drivers(&count, drivers.data()) != ZE_RESULT_SUCCESS) drivers.clear();
  for (zes_driver_handle_t driver : drivers) {
    uint32_t n = 0;
    if (ze.devices(driver, &n, nullptr) != ZE_RESULT_SUCCESS || n == 0) continue;
    std::vector<zes_device_handle_t> devices(n);
    if (ze.devices(driver, &n, devices.data()) != ZE_RESULT_SUCCESS) continue;
    for (uint32_t i = 0; i < n; i++) {
      zes_device_properties_t props{};
      props.stype = ZES_STRUCTURE_TYPE_DEVICE_PROPERTIES;
      props.core.stype = ZE_STRUCTURE_TYPE_DEVICE_PROPERTIES;
      // Level Zero also lists CPUs, FPGAs and NPUs, and other vendors' GPUs through their own drivers.
      if (ze.properties(devices[i], &props) != ZE_RESULT_SUCCESS || props.core.type != ZE_DEVICE_TYPE_GPU || props.core.vendorId != 0x8086) continue;
      if (!result.driverVersion && props.driverVersion[0]) result.driverVersion = props.driverVersion;
      result.gpus.push_back(ReadDevice(ze, devices[i], props, static_cast<uint32_t>(result.gpus.size())));
    }
  }
  return result;
}

}  // namespace

VendorResult ProbeIntel(const std::string& library) {
  // A loader before zesInit (1.5) is as good as none: the DRM sysfs answers instead.
  return libraries.Probe(library, "Level Zero loader not found", NotInstalled("Level Zero loader without zesInit"), BindAll, Init, ReadAll);
}

}  // namespace synor
