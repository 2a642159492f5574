"""Which OpenBLAS numpy runs on, for the float64 benches' headers (bench/kernel_numpy.py, bench/linalg.ts): numpy's
version, its bundled OpenBLAS's configuration, the core type it picked (OPENBLAS_CORETYPE when set, else
autodetected) and its thread count, asked from the library itself through ctypes (no threadpoolctl needed)."""
import ctypes
import glob
import os

import numpy as np


def blas_info():
    info = {"numpy": np.__version__, "config": None, "corename": None, "threads": None}
    libdir = os.path.join(os.path.dirname(np.__file__), "..", "numpy.libs")
    for path in sorted(glob.glob(os.path.join(libdir, "*openblas*"))):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix in ("scipy_openblas_", "openblas_"):
            for suffix in ("64_", ""):
                if hasattr(lib, f"{prefix}get_corename{suffix}"):
                    for key, name, restype in (("corename", "get_corename", ctypes.c_char_p), ("config", "get_config", ctypes.c_char_p), ("threads", "get_num_threads", ctypes.c_int)):
                        f = getattr(lib, f"{prefix}{name}{suffix}")
                        f.restype = restype
                        v = f()
                        info[key] = v.decode() if isinstance(v, bytes) else v
                    return info
    return info


if __name__ == "__main__":
    import json
    print(json.dumps(blas_info()))
