// Libraries opened at run time (the vendors' GPU drivers, X11), so the addon builds and loads on machines without
// them: how an entry point is bound, and the one cache of loaded driver libraries each GPU probe keeps.
#pragma once
#include <initializer_list>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "probe.h"

namespace synor {

// The first of `names` the library exports (newer variants first), into `fn`; false, and fn null, when it has none.
template <typename F>
bool Bind(void* library, F& fn, std::initializer_list<const char*> names) {
  fn = nullptr;
  for (const char* name : names) {
    if ((fn = reinterpret_cast<F>(FindSymbol(library, name)))) return true;
  }
  return false;
}

// The answer when a library is not on this machine: "absent", a normal answer, with why.
inline VendorResult NotInstalled(std::string message) {
  VendorResult result;
  result.code = "not-installed";
  result.message = std::move(message);
  return result;
}

// One vendor's driver library per path (tests load several fakes in one process): its entry points bound once and
// kept for the life of the process, its init called until it worked once. One probe of a vendor at a time.
template <typename Api>
class DriverLibraries {
 public:
  // Probes the library at `path`: not there answers NotInstalled(`missing`); `bind(library, api)` false (required
  // entry points missing) answers `tooOld`; `init(api)` answers why the library cannot start, or nothing once it
  // has; then `read(api, result)` lists the GPUs into a result whose status is "found".
  template <typename BindFn, typename InitFn, typename ReadFn>
  VendorResult Probe(const std::string& path, const char* missing, const VendorResult& tooOld, BindFn bind, InitFn init, ReadFn read) {
    std::lock_guard<std::mutex> guard(lock_);
    auto found = loaded_.find(path);
    if (found == loaded_.end()) {
      void* library = OpenLibrary(path);
      if (!library) return NotInstalled(missing);
      Api api{};
      if (!bind(library, api)) return tooOld;
      found = loaded_.emplace(path, api).first;
    }
    Entry& entry = found->second;
    if (!entry.initialized) {
      std::optional<VendorResult> refused = init(entry.api);
      if (refused) return *std::move(refused);
      entry.initialized = true;
    }
    VendorResult result;
    result.status = "found";
    return read(entry.api, std::move(result));
  }

 private:
  struct Entry {
    explicit Entry(const Api& bound) : api(bound) {}
    Api api;
    bool initialized = false;
  };
  std::mutex lock_;
  std::map<std::string, Entry> loaded_;
};

}  // namespace synor
