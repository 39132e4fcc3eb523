{
  "targets": [
    {
      "target_name": "synor_hardware",
      "sources": ["src/addon.cc", "src/cpu.cc", "src/level0.cc", "src/nvml.cc", "src/rocm.cc", "src/process.cc", "src/input.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags_cc": ["-std=gnu++17"],
      "conditions": [
        ["OS=='linux'", {"libraries": ["-ldl"]}],
        ["OS=='mac'", {
          "sources": ["src/metal.mm"],
          "libraries": ["-framework Metal", "-framework Foundation", "-framework IOKit"],
          "xcode_settings": {
            "CLANG_CXX_LANGUAGE_STANDARD": "gnu++17",
            "CLANG_ENABLE_OBJC_ARC": "YES",
            "MACOSX_DEPLOYMENT_TARGET": "11.0"
          }
        }],
        ["OS=='win'", {"msvs_settings": {"VCCLCompilerTool": {"AdditionalOptions": ["/std:c++17"]}}}]
      ]
    }
  ]
}
