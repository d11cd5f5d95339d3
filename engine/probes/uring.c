/* Build probe: does liburing compile and link here? */
#include <liburing.h>

int main(void)
{
	struct io_uring r;

	return io_uring_queue_init(8, &r, 0);
}
