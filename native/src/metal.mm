// Apple GPUs through Metal (compiled on macOS only; binding.gyp adds this file there).
#import <Foundation/Foundation.h>
#import <IOKit/IOKitLib.h>
#import <Metal/Metal.h>

#include "probe.h"

namespace synor {
namespace {

// The OS publishes the GPU core count on the accelerator's registry entry (Apple silicon only).
std::optional<double> GpuCores(uint64_t registryId) {
  io_service_t service = IOServiceGetMatchingService(MACH_PORT_NULL, IORegistryEntryIDMatching(registryId));
  if (!service) return std::nullopt;
  std::optional<double> cores;
  CFTypeRef value = IORegistryEntryCreateCFProperty(service, CFSTR("gpu-core-count"), kCFAllocatorDefault, 0);
  if (value && CFGetTypeID(value) == CFNumberGetTypeID()) {
    int64_t count = 0;
    if (CFNumberGetValue(static_cast<CFNumberRef>(value), kCFNumberSInt64Type, &count)) cores = static_cast<double>(count);
  }
  if (value) CFRelease(value);
  IOObjectRelease(service);
  return cores;
}

}  // namespace

VendorResult ProbeApple() {
  VendorResult result;
  @autoreleasepool {
    NSArray<id<MTLDevice>>* devices = MTLCopyAllDevices();
    if (devices.count == 0) {
      result.code = "not-installed";
      result.message = "No Metal device";
      return result;
    }
    result.status = "found";
    uint32_t index = 0;
    for (id<MTLDevice> device in devices) {
      GpuRecord gpu;
      gpu.index = index++;
      gpu.name = device.name.UTF8String;
      gpu.uuid = std::string("0x") + [NSString stringWithFormat:@"%llx", device.registryID].UTF8String;
      gpu.unifiedMemory = device.hasUnifiedMemory;
      gpu.workingSetBytes = static_cast<double>(device.recommendedMaxWorkingSetSize);
      // MTLGPUFamilyApple1..Apple9 are 1001..1009; numbers keep this building with older SDKs.
      for (int family = 9; family >= 1; family--) {
        if ([device supportsFamily:static_cast<MTLGPUFamily>(1000 + family)]) {
          gpu.family = "apple" + std::to_string(family);
          break;
        }
      }
      gpu.gpuCores = GpuCores(device.registryID);
      result.gpus.push_back(gpu);
    }
  }
  return result;
}

}  // namespace synor
