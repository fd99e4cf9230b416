/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib/gi18n.h>

/* setlocale() and bind the "cloison" text domain; call first in main(). */
void cl_i18n_init(void);
