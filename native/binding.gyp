{
  # Built by scripts/build-native.mjs (npm's "install" script); failure is not fatal,
  # ntk-l2 then uses its pure-TypeScript linear algebra.
  # Debian/Ubuntu: apt-get install libopenblas-dev liblapacke-dev
  # (Debian's libopenblas does not export the LAPACKE_* C interface, hence -llapacke;
  #  liblapacke itself resolves LAPACK/BLAS through the liblapack.so.3/libblas.so.3
  #  alternatives, which libopenblas-dev points at OpenBLAS.)
  "targets": [
    {
      "target_name": "ntk_linalg",
      "sources": ["src/linalg.c"],
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
