// Plain C++ records filled off the main thread, turned into JS objects on it (addon.cc).
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace synor {

struct MigRecord {
  uint32_t index = 0, gpuInstanceId = 0, computeInstanceId = 0;
  std::optional<double> memoryTotalBytes, memoryUsedBytes;
};

struct GpuRecord {
  uint32_t index = 0;
  std::optional<std::string> name, uuid, pciBusId, computeCapability, family;
  // Raw driver units; the JS side converts them once, the same way for native and fallback.
  std::optional<double> memoryTotalBytes, memoryUsedBytes, utilizationPercent, temperatureC, powerDrawMilliwatts,
      powerLimitMilliwatts, workingSetBytes, gpuCores;
  bool unifiedMemory = false;
  // Which call answered each field, or why it did not ("nvmlDeviceGetPowerUsage: Not Supported"), for bug reports.
  std::vector<std::pair<std::string, std::string>> sources;
  // Unset: not MIG-capable (or a driver before MIG).
  std::optional<bool> migEnabled;
  std::vector<MigRecord> mig;
  std::optional<std::string> errorCode, errorMessage;
};

// A device that fails half-way is reported by its index and bus id only: partial readings would mislead.
inline GpuRecord BrokenGpu(const GpuRecord& partial, std::string code, std::string message) {
  GpuRecord broken;
  broken.index = partial.index;
  broken.pciBusId = partial.pciBusId;
  broken.errorCode = std::move(code);
  broken.errorMessage = std::move(message);
  return broken;
}

// status: "found" (library answered), "absent" (no driver library: a normal answer), "failed" (library present, call failed).
struct VendorResult {
  std::string status = "absent";
  std::string code;
  std::string message;
  std::optional<std::string> driverVersion, runtimeVersion;
  std::vector<GpuRecord> gpus;
};

// The vendor library is there but a call failed: the probe answers with this code and message (and what it read so far).
inline VendorResult Failed(VendorResult result, std::string code, std::string message) {
  result.status = "failed";
  result.code = std::move(code);
  result.message = std::move(message);
  return result;
}

// Off Linux only (cpu.cc); sources: which call answered each field, as GpuRecord's do.
struct CpuRecord {
  std::string vendor, model, arch;
  uint32_t cores = 0, threads = 0;
  std::vector<std::string> features;
  std::map<std::string, std::string> sources;
};

VendorResult ProbeNvidia(const std::string& library);
VendorResult ProbeAmd(const std::string& library);
VendorResult ProbeIntel(const std::string& library);
VendorResult ProbeApple();
CpuRecord ProbeCpu();

// dlopen / LoadLibrary behind one tiny interface; the handle stays open for the life of the process.
void* OpenLibrary(const std::string& path);
void* FindSymbol(void* library, const char* name);

}  // namespace synor
