/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The Nautilus 43 extension of Cloison (libnautilus-extension-4), loaded by
 * the Nautilus that runs inside a cage:
 *
 *  - a menu provider: on a selection of regular local files (at most
 *    CL_TRANSFER_CLIENT_MAX_FILES, nothing else selected: the broker takes
 *    regular files only), "Transfer to level ▸" and "Move to level ▸", each
 *    listing the cages that the broker's ListTargets() allows; activating one
 *    sends every selected file (Send, asynchronous) and shows the progress and
 *    the outcome in a ClTransferWindow;
 *  - an info provider and a column provider: the origin of received files
 *    (the user.cloison.origin xattr the broker writes), as the string
 *    attribute "cloison_origin", an emblem and the list view's "Origin"
 *    column.
 *
 * Nautilus asks for menu items synchronously, on its main thread: the
 * targets are kept in a cache refreshed asynchronously (connection, then
 * ListTargets); only when nothing is cached yet on a live connection is
 * ListTargets called synchronously, for at most CL_LIST_SYNC_MS.  Without a
 * broker (no socket in the cage, or the connection lost) there is no menu,
 * and a debug message says why; a new connection is tried in the background
 * at most every CL_RETRY_US.
 *
 * The origin xattr is information only: the broker writes it on the files it
 * lands, but a cage can set it on its own files too.  It is shown cleaned
 * (bounded, valid UTF-8, no control or format characters) and never trusted.
 */
#include "cloison-build-config.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <nautilus-extension.h>
#include <string.h>
#include <sys/xattr.h>

#include "client.h"
#include "landing.h"
#include "text.h"
#include "window.h"

#define CL_LIST_SYNC_MS    200
#define CL_TARGETS_TTL_US  (3 * G_USEC_PER_SEC)
#define CL_RETRY_US        (2 * G_USEC_PER_SEC)
#define CL_CONNECT_TIMEOUT 5 /* seconds */
#define CL_ORIGIN_ATTR     "cloison_origin"
#define CL_ORIGIN_EMBLEM   "emblem-shared"

#define CL_TYPE_NAUTILUS_EXTENSION (cl_nautilus_extension_get_type())
G_DECLARE_FINAL_TYPE(ClNautilusExtension, cl_nautilus_extension, CL, NAUTILUS_EXTENSION, GObject)

struct _ClNautilusExtension {
	GObject parent;
	ClTransferClient *client; /* NULL: not connected */
	gulong closed_id;
	GPtrArray *targets;    /* ClTransferTarget: the cache, NULL: none yet */
	gint64 targets_at;     /* monotonic time of the cache */
	gint64 tried_at;       /* monotonic time of the last connection attempt */
	gint64 sync_failed_at; /* monotonic time of the last failed synchronous call */
	gboolean connecting, listing;
	GCancellable *cancel;         /* everything, on dispose */
	GCancellable *connect_cancel; /* the connection being made */
	guint connect_timeout_id;
};

static void menu_provider_init(NautilusMenuProviderInterface *iface);
static void info_provider_init(NautilusInfoProviderInterface *iface);
static void column_provider_init(NautilusColumnProviderInterface *iface);

G_DEFINE_DYNAMIC_TYPE_EXTENDED(
        ClNautilusExtension, cl_nautilus_extension, G_TYPE_OBJECT, G_TYPE_FLAG_FINAL,
        G_IMPLEMENT_INTERFACE_DYNAMIC(NAUTILUS_TYPE_MENU_PROVIDER, menu_provider_init)
                G_IMPLEMENT_INTERFACE_DYNAMIC(NAUTILUS_TYPE_INFO_PROVIDER, info_provider_init)
                        G_IMPLEMENT_INTERFACE_DYNAMIC(NAUTILUS_TYPE_COLUMN_PROVIDER,
                                                      column_provider_init))

/* ---- the connection and the cache of targets ------------------------------- */

static void refresh(ClNautilusExtension *self);

static gboolean same_targets(GPtrArray *a, GPtrArray *b)
{
	if (!a || !b)
		return a == b;
	if (a->len != b->len)
		return FALSE;
	for (guint i = 0; i < a->len; i++) {
		const ClTransferTarget *x = a->pdata[i], *y = b->pdata[i];

		if (g_strcmp0(x->cage, y->cage) || g_strcmp0(x->label, y->label) ||
		    g_strcmp0(x->colour, y->colour))
			return FALSE;
	}
	return TRUE;
}

/*
 * targets (taken; NULL: none) become the cache.  With notify, Nautilus is
 * told when the menus it built from the previous ones are out of date (not
 * from inside get_file_items, whose menu uses the new ones already).
 */
static void set_targets(ClNautilusExtension *self, GPtrArray *targets, gboolean notify)
{
	gboolean changed = notify && !same_targets(self->targets, targets);

	g_clear_pointer(&self->targets, g_ptr_array_unref);
	self->targets = targets;
	self->targets_at = g_get_monotonic_time();
	if (changed)
		nautilus_menu_provider_emit_items_updated_signal(NAUTILUS_MENU_PROVIDER(self));
}

static void drop_client(ClNautilusExtension *self)
{
	if (!self->client)
		return;
	g_clear_signal_handler(&self->closed_id, self->client);
	g_clear_object(&self->client);
	/* No broker, no menu: the targets it listed are no longer offered. */
	set_targets(self, NULL, TRUE);
}

static void handle_closed(ClTransferClient *client, gpointer user_data)
{
	ClNautilusExtension *self = user_data;

	g_debug("the connection to the transfer broker was lost: no transfer menu until it is "
	        "back");
	drop_client(self);
}

static void listed(GObject *source, GAsyncResult *result, gpointer user_data)
{
	g_autoptr(ClNautilusExtension) self = user_data;
	g_autoptr(GError) error = NULL;
	GPtrArray *targets;

	self->listing = FALSE;
	targets =
	        cl_transfer_client_list_targets_finish(CL_TRANSFER_CLIENT(source), result, &error);
	if (!targets) {
		if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
			g_debug("ListTargets failed: %s", error->message);
		return;
	}
	/* An answer from a connection since replaced is not this one's. */
	if ((gpointer)source == (gpointer)self->client)
		set_targets(self, targets, TRUE);
	else
		g_ptr_array_unref(targets);
}

static void connected(GObject *source, GAsyncResult *result, gpointer user_data)
{
	g_autoptr(ClNautilusExtension) self = user_data;
	g_autoptr(GError) error = NULL;
	ClTransferClient *client;

	self->connecting = FALSE;
	g_clear_handle_id(&self->connect_timeout_id, g_source_remove);
	g_clear_object(&self->connect_cancel);
	client = cl_transfer_client_new_finish(result, &error);
	if (!client) {
		if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
			g_debug("no transfer menu: %s", error->message);
		return;
	}
	drop_client(self);
	self->client = client;
	self->closed_id = g_signal_connect(client, "closed", G_CALLBACK(handle_closed), self);
	refresh(self);
}

/* A broker that accepts but never answers: give up, try again later. */
static gboolean connect_timed_out(gpointer user_data)
{
	ClNautilusExtension *self = user_data;

	self->connect_timeout_id = 0;
	g_debug("no transfer menu: the transfer broker did not answer within %d s",
	        CL_CONNECT_TIMEOUT);
	g_cancellable_cancel(self->connect_cancel);
	return G_SOURCE_REMOVE;
}

/* Brings the cache up to date in the background (never blocks). */
static void refresh(ClNautilusExtension *self)
{
	gint64 now = g_get_monotonic_time();

	if (self->connecting || self->listing)
		return;
	if (!self->client) {
		if (self->tried_at && now - self->tried_at < CL_RETRY_US)
			return;
		self->tried_at = now;
		self->connecting = TRUE;
		self->connect_cancel = g_cancellable_new();
		self->connect_timeout_id =
		        g_timeout_add_seconds(CL_CONNECT_TIMEOUT, connect_timed_out, self);
		cl_transfer_client_new_async(NULL, self->connect_cancel, connected,
		                             g_object_ref(self));
		return;
	}
	self->listing = TRUE;
	cl_transfer_client_list_targets_async(self->client, self->cancel, listed,
	                                      g_object_ref(self));
}

/* The targets to offer now, or NULL (no menu). */
static GPtrArray *current_targets(ClNautilusExtension *self)
{
	g_autoptr(GError) error = NULL;
	GPtrArray *targets;

	if (self->targets) {
		if (g_get_monotonic_time() - self->targets_at > CL_TARGETS_TTL_US)
			refresh(self);
		return self->targets;
	}
	if (!self->client) {
		g_debug("no transfer menu: not connected to the transfer broker (yet)");
		refresh(self);
		return NULL;
	}
	/* A broker that did not answer in time is not asked to again at once:
	 * selection changes must not each cost CL_LIST_SYNC_MS. */
	if (self->sync_failed_at && g_get_monotonic_time() - self->sync_failed_at < CL_RETRY_US) {
		refresh(self);
		return NULL;
	}
	targets = cl_transfer_client_list_targets_sync(self->client, CL_LIST_SYNC_MS, NULL, &error);
	if (!targets) {
		g_debug("no transfer menu: ListTargets: %s", error->message);
		self->sync_failed_at = g_get_monotonic_time();
		refresh(self);
		return NULL;
	}
	set_targets(self, targets, FALSE);
	return self->targets;
}

/* ---- the menus --------------------------------------------------------------- */

static ClTransferTarget *target_copy(const ClTransferTarget *t)
{
	ClTransferTarget *copy = g_new0(ClTransferTarget, 1);

	copy->cage = g_strdup(t->cage);
	copy->label = g_strdup(t->label);
	copy->colour = g_strdup(t->colour);
	return copy;
}

static void file_list_free(gpointer files)
{
	nautilus_file_info_list_free(files);
}

static GtkWindow *active_window(void)
{
	GApplication *app = g_application_get_default();

	if (app && GTK_IS_APPLICATION(app))
		return gtk_application_get_active_window(GTK_APPLICATION(app));
	return NULL;
}

static void show_error(const char *message)
{
	GtkWidget *dialog = gtk_message_dialog_new(active_window(), GTK_DIALOG_DESTROY_WITH_PARENT,
	                                           GTK_MESSAGE_ERROR, GTK_BUTTONS_CLOSE, "%s",
	                                           _("The documents cannot be transferred"));

	gtk_message_dialog_format_secondary_text(GTK_MESSAGE_DIALOG(dialog), "%s", message);
	g_signal_connect(dialog, "response", G_CALLBACK(gtk_window_destroy), NULL);
	gtk_window_present(GTK_WINDOW(dialog));
}

static void window_done(ClTransferWindow *window, guint delivered, guint denied, guint failed,
                        gpointer user_data)
{
	g_debug("transfer window: %u delivered, %u denied, %u failed", delivered, denied, failed);
}

static void activate(NautilusMenuItem *item, gpointer user_data)
{
	ClNautilusExtension *self = user_data;
	GList *files = g_object_get_data(G_OBJECT(item), "cloison-files");
	const ClTransferTarget *target = g_object_get_data(G_OBJECT(item), "cloison-target");
	gboolean move = GPOINTER_TO_INT(g_object_get_data(G_OBJECT(item), "cloison-move"));
	g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func(g_free);
	ClTransferWindow *window;

	for (GList *l = files; l; l = l->next) {
		g_autoptr(GFile) location = nautilus_file_info_get_location(l->data);
		char *path = location ? g_file_get_path(location) : NULL;

		if (!path) {
			g_autofree char *name = nautilus_file_info_get_name(l->data);
			g_autofree char *msg =
			        g_strdup_printf(_("%s is not a local file."), name ? name : "?");
			show_error(msg);
			return;
		}
		g_ptr_array_add(paths, path);
	}
	if (!self->client) {
		show_error(_("The transfer service of this cage is not reachable."));
		refresh(self);
		return;
	}
	g_debug("sending %u file(s) to %s%s", paths->len, target->cage, move ? " (move)" : "");
	g_ptr_array_add(paths, NULL);
	window = cl_transfer_window_new(self->client, active_window());
	g_signal_connect(window, "done", G_CALLBACK(window_done), NULL);
	cl_transfer_window_send(window, (const char *const *)paths->pdata, target, move);
}

static NautilusMenuItem *target_item(ClNautilusExtension *self, const char *kind,
                                     const ClTransferTarget *t, GList *files, gboolean move)
{
	g_autofree char *name = cl_menu_item_name(kind, t->cage);
	/* TRANSLATORS: a target in the "Transfer to level" menu: level label, cage id. */
	g_autofree char *text = g_strdup_printf(_("%s — %s"), t->label, t->cage);
	g_autofree char *label = cl_menu_escape(text);
	NautilusMenuItem *item = nautilus_menu_item_new(name, label, NULL, NULL);

	g_object_set_data_full(G_OBJECT(item), "cloison-files", nautilus_file_info_list_copy(files),
	                       file_list_free);
	g_object_set_data_full(G_OBJECT(item), "cloison-target", target_copy(t),
	                       (GDestroyNotify)cl_transfer_target_free);
	g_object_set_data(G_OBJECT(item), "cloison-move", GINT_TO_POINTER(move));
	g_signal_connect_object(item, "activate", G_CALLBACK(activate), self, 0);
	return item;
}

static NautilusMenuItem *submenu_item(ClNautilusExtension *self, const char *kind,
                                      const char *label, const char *tip, GPtrArray *targets,
                                      GList *files, gboolean move)
{
	g_autofree char *name = g_strconcat("CloisonNautilus::", kind, NULL);
	NautilusMenuItem *item = nautilus_menu_item_new(name, label, tip, NULL);
	g_autoptr(NautilusMenu) menu = nautilus_menu_new();

	for (guint i = 0; i < targets->len; i++) {
		g_autoptr(NautilusMenuItem) sub =
		        target_item(self, kind, targets->pdata[i], files, move);
		nautilus_menu_append_item(menu, sub);
	}
	nautilus_menu_item_set_submenu(item, menu);
	return item;
}

/* Regular local files only: what the broker accepts. */
static gboolean transferable(GList *files)
{
	guint n = 0;

	for (GList *l = files; l; l = l->next) {
		NautilusFileInfo *file = l->data;
		g_autofree char *scheme = nautilus_file_info_get_uri_scheme(file);

		if (++n > CL_TRANSFER_CLIENT_MAX_FILES || g_strcmp0(scheme, "file") != 0 ||
		    nautilus_file_info_is_gone(file) ||
		    nautilus_file_info_get_file_type(file) != G_FILE_TYPE_REGULAR)
			return FALSE;
	}
	return n > 0;
}

static GList *get_file_items(NautilusMenuProvider *provider, GList *files)
{
	ClNautilusExtension *self = CL_NAUTILUS_EXTENSION(provider);
	GPtrArray *targets;
	GList *items = NULL;

	if (!transferable(files))
		return NULL;
	targets = current_targets(self);
	if (!targets || targets->len == 0)
		return NULL;
	g_debug("menu for %u file(s): %u target(s)", g_list_length(files), targets->len);
	/* Kept alive while the items are built: a refresh may replace the cache. */
	targets = g_ptr_array_ref(targets);
	items = g_list_append(items, submenu_item(self, "transfer", _("Transfer to level"),
	                                          _("Send a copy to a cage of another level"),
	                                          targets, files, FALSE));
	items = g_list_append(items, submenu_item(self, "move", _("Move to level"),
	                                          _("Send to a cage of another level and remove "
	                                            "it here once delivered"),
	                                          targets, files, TRUE));
	g_ptr_array_unref(targets);
	return items;
}

static void menu_provider_init(NautilusMenuProviderInterface *iface)
{
	iface->get_file_items = get_file_items;
}

/* ---- the origin of received files ---------------------------------------------- */

/* The cleaned origin of a local file, or NULL. */
static char *read_origin(NautilusFileInfo *file)
{
	g_autofree char *scheme = nautilus_file_info_get_uri_scheme(file);
	g_autoptr(GFile) location = NULL;
	g_autofree char *path = NULL;
	char buf[CL_ORIGIN_MAX];
	ssize_t len;

	if (g_strcmp0(scheme, "file") != 0)
		return NULL;
	location = nautilus_file_info_get_location(file);
	path = location ? g_file_get_path(location) : NULL;
	if (!path)
		return NULL;
	/* One system call on a local file: no need to leave the main thread.
	 * Longer than CL_ORIGIN_MAX is ERANGE: not something the broker wrote. */
	len = lgetxattr(path, CL_XATTR_ORIGIN, buf, sizeof(buf));
	if (len <= 0)
		return NULL;
	return cl_origin_clean(buf, (size_t)len);
}

static NautilusOperationResult update_file_info(NautilusInfoProvider *provider,
                                                NautilusFileInfo *file, GClosure *update_complete,
                                                NautilusOperationHandle **handle)
{
	g_autofree char *origin = read_origin(file);

	if (origin) {
		g_autofree char *name = nautilus_file_info_get_name(file);

		g_debug("origin of %s: %s", name, origin);
		nautilus_file_info_add_string_attribute(file, CL_ORIGIN_ATTR, origin);
		nautilus_file_info_add_emblem(file, CL_ORIGIN_EMBLEM);
	}
	return NAUTILUS_OPERATION_COMPLETE;
}

static void info_provider_init(NautilusInfoProviderInterface *iface)
{
	iface->update_file_info = update_file_info;
}

static GList *get_columns(NautilusColumnProvider *provider)
{
	NautilusColumn *column = nautilus_column_new(
	        "CloisonNautilus::origin", CL_ORIGIN_ATTR, _("Origin"),
	        _("The cage and level a received document came from (as written on the file)"));

	return g_list_append(NULL, column);
}

static void column_provider_init(NautilusColumnProviderInterface *iface)
{
	iface->get_columns = get_columns;
}

/* ---- the object and the module ---------------------------------------------------- */

static void cl_nautilus_extension_init(ClNautilusExtension *self)
{
	self->cancel = g_cancellable_new();
	/* Connect at once: the first right-click then finds the targets cached. */
	refresh(self);
}

static void cl_nautilus_extension_dispose(GObject *object)
{
	ClNautilusExtension *self = CL_NAUTILUS_EXTENSION(object);

	if (self->cancel)
		g_cancellable_cancel(self->cancel);
	if (self->connect_cancel)
		g_cancellable_cancel(self->connect_cancel);
	g_clear_handle_id(&self->connect_timeout_id, g_source_remove);
	if (self->client)
		g_clear_signal_handler(&self->closed_id, self->client);
	g_clear_object(&self->client);
	G_OBJECT_CLASS(cl_nautilus_extension_parent_class)->dispose(object);
}

static void cl_nautilus_extension_finalize(GObject *object)
{
	ClNautilusExtension *self = CL_NAUTILUS_EXTENSION(object);

	g_clear_object(&self->cancel);
	g_clear_object(&self->connect_cancel);
	g_clear_pointer(&self->targets, g_ptr_array_unref);
	G_OBJECT_CLASS(cl_nautilus_extension_parent_class)->finalize(object);
}

static void cl_nautilus_extension_class_init(ClNautilusExtensionClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);

	object_class->dispose = cl_nautilus_extension_dispose;
	object_class->finalize = cl_nautilus_extension_finalize;
}

static void cl_nautilus_extension_class_finalize(ClNautilusExtensionClass *klass)
{
}

static GType types[1];

void nautilus_module_initialize(GTypeModule *module)
{
	bindtextdomain(GETTEXT_PACKAGE, LOCALEDIR);
	bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
	cl_nautilus_extension_register_type(module);
	types[0] = CL_TYPE_NAUTILUS_EXTENSION;
	g_debug("Cloison extension loaded (transfer socket %s)",
	        cl_transfer_client_default_socket());
}

void nautilus_module_shutdown(void)
{
}

void nautilus_module_list_types(const GType **list, int *n)
{
	*list = types;
	*n = G_N_ELEMENTS(types);
}
