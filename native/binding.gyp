{
  # Built by scripts/build-native.mjs (npm's "install" script); failure is not fatal,
  # ntk-l2 then uses its pure-TypeScript linear algebra.
  # Debian/Ubuntu: apt-get install libopenblas-dev liblapacke-dev
  # (Debian's libopenblas does not export the LAPACKE_* C interface, hence -llapacke;
  #  liblapacke itself resolves LAPACK/BLAS through the liblapack.so.3/libblas.so.3
  #  alternatives, which libopenblas-dev points at OpenBLAS.)
  "targets": [
    {
      # The analytic kernel's hot loops (arc-cosine, conv stencil): plain C, no BLAS, so it builds without OpenBLAS.
      # -O3 lets gcc vectorise the stencil's adds; -ffp-contract=off keeps a*b+c as two roundings, as in V8, so the
      # stencil gives the same bits as the TypeScript loops; -fno-math-errno lets sqrt inline (no errno to set).
      "target_name": "ntk_kernels",
      "sources": ["src/kernels.c"],
      "defines": ["NAPI_VERSION=8"],
      "cflags_c": ["-std=c11", "-O3", "-ffp-contract=off", "-fno-math-errno", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "libraries": ["-lm"],
      "xcode_settings": {"OTHER_CFLAGS": ["-std=c11", "-O3", "-ffp-contract=off", "-fno-math-errno"]}
    },
    {
      "target_name": "ntk_linalg",
      "sources": ["src/linalg.c", "src/sgemmFma.c"],
      "defines": ["NAPI_VERSION=8"],
      "cflags_c": ["-std=c11", "-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "conditions": [
        ["OS=='linux'", {
          "include_dirs": ["/usr/include/openblas"],
          "libraries": ["-llapacke", "-lopenblas"]
        }],
        ["OS=='mac'", {
          "include_dirs": ["/opt/homebrew/opt/openblas/include", "/usr/local/opt/openblas/include"],
          "libraries": [
            "-L/opt/homebrew/opt/openblas/lib", "-L/usr/local/opt/openblas/lib",
            "-Wl,-rpath,/opt/homebrew/opt/openblas/lib", "-Wl,-rpath,/usr/local/opt/openblas/lib",
            "-lopenblas"
          ]
        }]
      ]
    }
  ]
}
