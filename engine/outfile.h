/*
 * outfile.h - an output file that appears whole or not at all: written
 * unnamed (O_TMPFILE) in its final directory and given its name at
 * commit (a link, then a rename over an existing file), so a run killed
 * at any point leaves nothing behind. Where the file system has no
 * O_TMPFILE (NFS, older FUSE, vfat) it falls back to a named temporary
 * file beside the final name (PATH.tmp.XXXXXX), which only a SIGKILL can
 * leave behind. Manifests and --prom files are written this way.
 */
#ifndef SHADOWSYNC_OUTFILE_H
#define SHADOWSYNC_OUTFILE_H

struct outfile {
	int fd;			/* write here; -1 when closed */
	char *path;		/* the final name */
	char *tmp;		/* the named temporary file, or NULL */
};

/*
 * outfile_open() - start writing the file that will be called path, with
 * the mode a new file would get (0666 less the umask). Returns 0 or
 * -errno (the directory missing, read-only, not writable, ...).
 */
int outfile_open(struct outfile *o, const char *path);

/*
 * outfile_commit() - fsync the data, give it its name (replacing what had
 * it), fsync the directory, close. Returns 0 or -errno; on error nothing
 * is named and the file is gone (outfile_abort is done).
 */
int outfile_commit(struct outfile *o);

/* outfile_abort() - drop what was written; nothing is named. */
void outfile_abort(struct outfile *o);

/*
 * outfile_fsync_parent() - fsync the directory that holds path, so that
 * a name made or removed in it is durable. Returns 0 or -errno.
 */
int outfile_fsync_parent(const char *path);

#endif
