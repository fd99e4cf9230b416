/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "intake.h"

/* clang-format off */
G_DEFINE_QUARK(cl-transfer-error-quark, cl_transfer_error)
/* clang-format on */
