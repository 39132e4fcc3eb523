// CPU identity and the SIMD features that matter for inference off Linux: cpuid on x86, sysctl and the processor
// feature flags on ARM. On Linux the kernel's /proc/cpuinfo is the one truth for every CPU field, read in JS by both
// probes (main/core/hardware/probe.ts says why), so none of this is built there.
#if !defined(__linux__)
#include <bitset>
#include <cstring>
#include <utility>

#include "probe.h"

#if defined(_WIN32)
#include <windows.h>
#include <intrin.h>
#endif
#if defined(__APPLE__)
#include <sys/sysctl.h>
#endif
#if (defined(__x86_64__) || defined(__i386__)) && !defined(_WIN32)
#include <cpuid.h>
#endif

namespace synor {
namespace {

#if defined(__x86_64__) || defined(__i386__) || defined(_M_X64) || defined(_M_IX86)
#define SYNOR_X86 1
struct Regs {
  uint32_t a = 0, b = 0, c = 0, d = 0;
};
Regs Cpuid(uint32_t leaf, uint32_t sub = 0) {
  Regs r;
#if defined(_WIN32)
  int out[4];
  __cpuidex(out, static_cast<int>(leaf), static_cast<int>(sub));
  r = {static_cast<uint32_t>(out[0]), static_cast<uint32_t>(out[1]), static_cast<uint32_t>(out[2]),
       static_cast<uint32_t>(out[3])};
#else
  __cpuid_count(leaf, sub, r.a, r.b, r.c, r.d);
#endif
  return r;
}
uint64_t Xcr0() {
#if defined(_WIN32)
  return _xgetbv(0);
#else
  uint32_t lo = 0, hi = 0;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (static_cast<uint64_t>(hi) << 32) | lo;
#endif
}
bool Bit(uint32_t value, int bit) { return (value >> bit) & 1u; }

void ReadX86(CpuRecord& cpu) {
  Regs r0 = Cpuid(0);
  char vendor[13] = {};
  std::memcpy(vendor, &r0.b, 4);
  std::memcpy(vendor + 4, &r0.d, 4);
  std::memcpy(vendor + 8, &r0.c, 4);
  cpu.vendor = vendor;
  cpu.sources["vendor"] = "cpuid leaf 0";
  if (Cpuid(0x80000000).a >= 0x80000004) {
    char brand[49] = {};
    for (uint32_t i = 0; i < 3; i++) {
      Regs r = Cpuid(0x80000002 + i);
      std::memcpy(brand + i * 16, &r, 16);
    }
    cpu.model = brand;
    cpu.sources["model"] = "cpuid brand string";
  }
  Regs r1 = Cpuid(1);
  Regs r7 = r0.a >= 7 ? Cpuid(7) : Regs{};
  Regs r71 = r0.a >= 7 && r7.a >= 1 ? Cpuid(7, 1) : Regs{};
  // AVX needs the OS to save the wider registers (XCR0), as the kernel does before listing "avx" in /proc/cpuinfo.
  uint64_t xcr0 = Bit(r1.c, 27) ? Xcr0() : 0;
  bool avxState = (xcr0 & 0x6) == 0x6;
  bool avx512State = avxState && (xcr0 & 0xe0) == 0xe0;
  std::pair<const char*, bool> features[] = {
      {"sse4_2", Bit(r1.c, 20)},
      {"avx", avxState && Bit(r1.c, 28)},
      {"avx2", avxState && Bit(r7.b, 5)},
      {"fma", avxState && Bit(r1.c, 12)},
      {"avx512f", avx512State && Bit(r7.b, 16)},
      {"avx512_vnni", avx512State && Bit(r7.c, 11)},
      {"avx_vnni", avxState && Bit(r71.a, 4)},
  };
  for (auto& [name, present] : features)
    if (present) cpu.features.push_back(name);
  cpu.sources["features"] = "cpuid leaves 1 and 7, XGETBV";
}
#endif

#if defined(__APPLE__)
uint32_t SysctlInt(const char* name) {
  int64_t value = 0;
  size_t size = sizeof value;
  if (sysctlbyname(name, &value, &size, nullptr, 0) != 0) return 0;
  return size == 4 ? static_cast<uint32_t>(*reinterpret_cast<int32_t*>(&value)) : static_cast<uint32_t>(value);
}
std::string SysctlString(const char* name) {
  char buffer[256] = {};
  size_t size = sizeof buffer - 1;
  if (sysctlbyname(name, buffer, &size, nullptr, 0) != 0) return "";
  return buffer;
}
#endif

#if defined(_WIN32)
void ReadWindowsTopology(CpuRecord& cpu) {
  DWORD length = 0;
  GetLogicalProcessorInformationEx(RelationProcessorCore, nullptr, &length);
  std::string buffer(length, '\0');
  auto* info = reinterpret_cast<SYSTEM_LOGICAL_PROCESSOR_INFORMATION_EX*>(buffer.data());
  if (!GetLogicalProcessorInformationEx(RelationProcessorCore, info, &length)) return;
  for (DWORD offset = 0; offset < length;) {
    auto* item = reinterpret_cast<SYSTEM_LOGICAL_PROCESSOR_INFORMATION_EX*>(buffer.data() + offset);
    cpu.cores++;
    for (WORD g = 0; g < item->Processor.GroupCount; g++)
      cpu.threads += static_cast<uint32_t>(std::bitset<64>(item->Processor.GroupMask[g].Mask).count());
    offset += item->Size;
  }
}
#endif

}  // namespace

CpuRecord ProbeCpu() {
  CpuRecord cpu;
#if defined(SYNOR_X86)
  cpu.arch = "x64";
  cpu.sources["arch"] = "the addon's build";
  ReadX86(cpu);
#elif defined(__aarch64__) || defined(_M_ARM64)
  cpu.arch = "arm64";
  cpu.sources["arch"] = "the addon's build";
#if defined(__APPLE__)
  cpu.vendor = "Apple";
  cpu.sources["vendor"] = "macOS on arm64";
  cpu.features.push_back("neon");  // mandatory on every Apple arm64 CPU
  if (SysctlInt("hw.optional.arm.FEAT_DotProd")) cpu.features.push_back("dotprod");
  cpu.sources["features"] = "sysctl hw.optional.arm";
#elif defined(_WIN32)
  if (IsProcessorFeaturePresent(19)) cpu.features.push_back("neon");  // PF_ARM_NEON_INSTRUCTIONS_AVAILABLE
  if (IsProcessorFeaturePresent(43)) cpu.features.push_back("dotprod");  // PF_ARM_V82_DP_INSTRUCTIONS_AVAILABLE
  if (IsProcessorFeaturePresent(46)) cpu.features.push_back("sve");  // PF_ARM_SVE_INSTRUCTIONS_AVAILABLE
  cpu.sources["features"] = "IsProcessorFeaturePresent";
#endif
#endif
#if defined(__APPLE__)
  cpu.cores = SysctlInt("hw.physicalcpu");
  cpu.threads = SysctlInt("hw.logicalcpu");
  // The name macOS itself shows (and systeminformation reads), on Intel Macs as on Apple silicon.
  cpu.model = SysctlString("machdep.cpu.brand_string");
  cpu.sources["cores"] = "sysctl hw.physicalcpu";
  cpu.sources["threads"] = "sysctl hw.logicalcpu";
  cpu.sources["model"] = "sysctl machdep.cpu.brand_string";
#elif defined(_WIN32)
  ReadWindowsTopology(cpu);
  cpu.sources["cores"] = cpu.sources["threads"] = "GetLogicalProcessorInformationEx";
#endif
  return cpu;
}

}  // namespace synor

#endif  // !defined(__linux__)
