/* term.h - what the terminal on the other end can show, and which picture
 * encoder (encode.h) to use for it.
 *
 * This is front-end code, linked into the pulmo binary, not the core
 * library: it opens /dev/tty, switches it to raw mode for a moment and asks
 *     CSI c            DA1: a 4 among the attributes means sixel
 *     CSI ? 1 ; 1 S    XTSMGRAPHICS: number of colour registers
 *     CSI ? 2 ; 1 S    XTSMGRAPHICS: largest sixel image
 *     CSI 16 t         cell size in pixels (when TIOCGWINSZ has none)
 *     APC G a=q ...    kitty graphics protocol: an OK reply means it works
 *     CSI > 0 q        XTVERSION: the terminal's name (iTerm2 and WezTerm
 *                      show iTerm2 inline images; they have no other query)
 * DA1 goes last: every terminal answers it and replies arrive in order, so
 * its answer ends the wait (or a timeout for terminals that answer
 * nothing). Inside tmux or GNU screen the multiplexer answers, and passing
 * images through it is unreliable, so text graphics are chosen there unless
 * the user asks for a protocol. Preference: kitty, then iTerm2 (both scale
 * the picture, so it goes at the data's resolution), then sixel, then text. NO_COLOR turns half blocks into plain ASCII;
 * COLORTERM=truecolor|24bit selects 24-bit colour over 256 colours.
 *
 * The TUI calls pm_term_probe once at start (before curses takes the tty)
 * and pm_term_choose with the user's --graphics choice.
 */
#ifndef PULMO_TERM_H
#define PULMO_TERM_H

#include <stddef.h>

typedef enum pm_graphics {
    PM_GFX_AUTO = 0,
    PM_GFX_SIXEL,
    PM_GFX_TEXT,       /* half blocks, 24-bit or 256 colours */
    PM_GFX_ASCII,
    PM_GFX_KITTY,      /* kitty graphics protocol */
    PM_GFX_ITERM       /* iTerm2 inline images */
} pm_graphics;

typedef struct pm_term_caps {
    int tty;                  /* /dev/tty could be opened and probed */
    int sixel;                /* DA1 reply listed 4 */
    int answered;             /* the DA1 reply arrived before the timeout */
    int registers;            /* XTSMGRAPHICS colour registers, 0 = unknown */
    int max_w, max_h;         /* XTSMGRAPHICS sixel geometry, 0 = unknown */
    int cols, rows;           /* character cells, 0 = unknown */
    int win_w, win_h;         /* text area in pixels, 0 = unknown */
    int cell_w, cell_h;       /* one cell in pixels, 0 = unknown */
    int truecolor;            /* COLORTERM says 24-bit */
    int no_color;             /* NO_COLOR is set and not empty */
    int multiplexer;          /* inside tmux or GNU screen */
    int kitty;                /* the kitty graphics query was answered OK */
    char version[64];         /* XTVERSION name and version, "" = none */
} pm_term_caps;

/* Fills caps from the environment and, when /dev/tty is a terminal, from
 * its replies (waiting at most timeout seconds). Never fails: what cannot
 * be learned stays 0. */
void pm_term_probe(pm_term_caps *caps, double timeout);
/* Fills caps from the environment only (no terminal I/O). */
void pm_term_env(pm_term_caps *caps);

/* The encoder to use: `want` when not AUTO (NO_COLOR still turns TEXT into
 * ASCII), else sixel when the terminal has it and no multiplexer sits in
 * between, else half blocks, else ASCII for NO_COLOR or TERM=dumb. */
pm_graphics pm_term_choose(const pm_term_caps *caps, pm_graphics want);
/* The largest sixel image to send: the XTSMGRAPHICS geometry when the
 * terminal reported one, else PM_TERM_SIXEL_DEFAULT square (xterm's own
 * default, which it drops images beyond). Heights are whole six-row bands. */
#define PM_TERM_SIXEL_DEFAULT 1000
void pm_term_sixel_limit(const pm_term_caps *caps, int *max_w, int *max_h);

/* "sixel", "kitty", "iterm2", "text", "ascii", "auto" -> the mode; -1
 * otherwise. */
int pm_graphics_parse(const char *s);

/* Parsers for the replies, exposed for tests. They scan buf for the first
 * complete reply of their kind. */
/* 1 when a DA1 reply (CSI ? ... c) lists attribute 4, 0 when it does not,
 * -1 when buf holds no complete DA1 reply. */
int pm_term_parse_da1(const char *buf, size_t n);
/* XTSMGRAPHICS reply CSI ? item ; status ; v1 [; v2] S for the given item:
 * 0 with v1 (and v2) when status is 0 (success), -1 otherwise. */
int pm_term_parse_xtsm(const char *buf, size_t n, int item, int *v1, int *v2);
/* 1 when buf holds the OK reply to pulmo's kitty graphics query (id 31). */
int pm_term_parse_kitty(const char *buf, size_t n);
/* XTVERSION reply DCS > | text ST: 0 with the text (control characters
 * dropped), else -1. */
int pm_term_parse_version(const char *buf, size_t n, char *name, size_t cap);
/* Cell-size reply CSI 6 ; height ; width t: 0 with the values, else -1. */
int pm_term_parse_cell(const char *buf, size_t n, int *w, int *h);

#endif
