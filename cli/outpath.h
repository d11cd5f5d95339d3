/*
 * outpath.h - may a command write its output file (a manifest, any
 * future report file) at this path? Checked before any input is read:
 * an output never lands on an input, on a device node, or nowhere.
 */
#ifndef SHADOWSYNC_OUTPATH_H
#define SHADOWSYNC_OUTPATH_H

#include <stddef.h>

/*
 * output_path_check() - may out be created or replaced (by a rename into
 * place) when the command reads inputs[0..ninputs-1]?
 *
 * Refused: "-" (stdout is not supported for manifests); an existing
 * block or character device, directory, FIFO or socket (symlinks
 * followed); the same file as an input (symlinks and hard links: by
 * device and inode); the file behind an input that is a loop device (or
 * a partition of one); a path whose parent directory does not exist or
 * is not a directory. An input that cannot be stat'ed is skipped: opening
 * it fails later with its own message.
 *
 * Returns 0, or -errno (-EINVAL, -EISDIR, -EEXIST, -ENOENT, -ENOTDIR, or
 * what stat(2) gave) with a lowercase phrase in why ("it is a block
 * device"), to follow "cannot create manifest 'OUT': ".
 */
int output_path_check(const char *out, const char *const inputs[],
		      size_t ninputs, char *why, size_t len);

/*
 * manifest_out_check() - output_path_check() worded whole into msg:
 * "cannot create manifest 'OUT': WHY". Returns what it returned.
 */
int manifest_out_check(const char *out, const char *const inputs[],
		       size_t ninputs, char *msg, size_t len);

#endif
