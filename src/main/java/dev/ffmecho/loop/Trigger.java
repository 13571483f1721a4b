package dev.ffmecho.loop;

/**
 * How an event loop registers its connections with epoll ({@code --trigger}), and what each one
 * costs per wakeup; native-notes/13 has the measurements that chose the default.
 */
public enum Trigger {
    /**
     * {@code EPOLLIN|EPOLLRDHUP}, switched to {@code EPOLLOUT} while a partial write is pending: one
     * read per wakeup is enough, because a connection with bytes left is reported again by the
     * next epoll_wait; costs an epoll_ctl(MOD) on each switch (only under backpressure).
     */
    LEVEL,
    /**
     * {@code EPOLLIN|EPOLLOUT|EPOLLRDHUP|EPOLLET} once, as Go registers every fd
     * (runtime/netpoll_epoll.go netpollopen): no epoll_ctl after the first, but each wakeup must read
     * until EAGAIN (epoll(7): "only after read(2) or write(2) return EAGAIN") — or until a short
     * read, which empties a TCP socket's queue (nginx relies on it) unless the peer has closed.
     */
    EDGE
}
