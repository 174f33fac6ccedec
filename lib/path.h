/*
 * path: file-system names: '~' expansion, XDG base directories and joining.
 * All functions return a new string the caller frees.
 */
#ifndef SUREL_PATH_H
#define SUREL_PATH_H

/* "~" and "~/x" become $HOME and $HOME/x (getpwuid when HOME is unset);
 * "~user/x" uses that user's home; anything else, and "~user" for an
 * unknown user, is copied unchanged. */
char *path_expand(const char *p);

enum path_xdg { PATH_XDG_CONFIG, PATH_XDG_DATA, PATH_XDG_CACHE, PATH_XDG_STATE };

/* $XDG_..._HOME/surel/<sub> (sub may be NULL or ""), falling back to
 * ~/.config, ~/.local/share, ~/.cache, ~/.local/state when the variable is
 * unset, empty or not absolute (as the XDG spec says); "/" stands in for a
 * missing home directory. */
char *path_xdg(enum path_xdg kind, const char *sub);

/* a + "/" + b, with no doubled slash; b absolute returns a copy of b.
 * An empty a gives b, an empty b gives a. */
char *path_join(const char *a, const char *b);

/* The directory part of p ("." when none), like dirname(3) but leaving p
 * alone: "a/b/" -> "a", "/a" -> "/", "a" -> ".". */
char *path_dirname(const char *p);

#endif
