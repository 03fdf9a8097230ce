/* export.h - the export dialog (export.c): asks what and where, then
 * writes through the core. mesh: the mesh view is on top (its surface and
 * picture are offered first). */
#ifndef PULMO_TUI_EXPORT_H
#define PULMO_TUI_EXPORT_H

void export_dialog(int mesh);

#endif
