package dev.ffmecho.trace;

/**
 * Every normalization trace-diff applies, as one object per rule. The same constants are used by
 * the code that applies a rule (it counts each firing in {@link RuleCounts}) and by
 * {@code --explain}, which prints them with their counts, so the explanation cannot drift from
 * what the normalizer really did. Per-call rewrites carry their implementation here (stage
 * {@link Stage#CALL}, applied in declaration order by {@link Normalizer}); the other stages are
 * applied by the classes named in the section comments below.
 */
public enum Rule {
    // --- StraceParser: reading the lines -------------------------------------------------------
    PID_PREFIX(Stage.PARSE, "pid-prefix",
            "'NNNN ' / '[pid NNNN] ' prefixes of strace -f removed; the pid only pairs <unfinished>/<resumed> halves"),
    TIMESTAMP(Stage.PARSE, "timestamp",
            "-t/-tt/-ttt/-r timestamps removed: no two runs share them"),
    DURATION(Stage.PARSE, "duration",
            "-T '<0.000012>' call durations removed: timing, not behaviour"),
    NARRATION_ORIGIN(Stage.PARSE, "narration-origin",
            "'  ← GoFunction · native-notes/…' that ffm-echo --narrate appends to each line removed: it names where the call comes from, not the call"),
    COLUMN_PADDING(Stage.PARSE, "column-padding",
            "spaces strace pads before ' = ' removed: strace 4.x and 6.x align the result column differently"),
    RESUMED_JOIN(Stage.PARSE, "resumed-join",
            "'<unfinished ...>' joined with its '<... NAME resumed>' on the same pid: strace splits a call whenever another thread prints in between"),

    // --- NetworkStory: which calls are the network story ---------------------------------------
    RUNTIME_NOISE(Stage.STORY, "runtime-noise",
            "calls not on an fd born of an inet socket/accept4/epoll_create1/pipe2/eventfd2/somaxconn openat dropped (JVM or Go runtime: mmap, futex, jars, libraries, glibc's AF_UNIX nscd probe, reused fd numbers)"),
    FD_ROLE(Stage.STORY, "fd-role",
            "fd numbers replaced by role names by birth order (somaxconn, sockN, epollN, connN, pipeNr/w): the numbers depend on what else the runtime had open"),
    INTERRUPTED_RETRY(Stage.STORY, "interrupted-retry",
            "a call that returned EINTR/ERESTART* and was retried with the same fd on the same thread dropped: a signal (Go's SIGURG, the JVM's own) landed in it, which is timing"),
    POLL_ONLY_THREAD(Stage.STORY, "poll-only-thread",
            "non-blocking epoll_wait(..., 0) calls of a thread that makes no other network call dropped: Go's sysmon polls the netpoller from its own thread whenever its timer fires"),
    SIGNAL_CUT(Stage.STORY, "signal-cut",
            "comparison stops at the first SIGTERM/SIGINT (or 'killed by'): the Go program dies there while ffm-echo drains; later calls are shown as a trailer, not compared"),
    UNFINISHED(Stage.STORY, "unfinished",
            "a call still blocked at the cut (resumed after it, interrupted by that signal, or never completed) shown as 'name(args <unfinished>' with the args strace printed at entry"),
    IDLE_POLLER_AT_CUT(Stage.STORY, "idle-poller-at-cut",
            "an epoll wait still blocked at the cut moved to the end of the compared calls: an idle thread blocked in netpoll when the signal came; when it started, relative to other threads' calls, is scheduling"),

    // --- Normalizer: per call, in this order ---------------------------------------------------
    ERRNO_TEXT(Stage.CALL, "errno-text",
            "errno description '(Resource temporarily unavailable)' dropped, the errno name kept: the text is libc/strace wording"),
    PF_TO_AF(Stage.CALL, "pf-to-af",
            "PF_INET/PF_INET6 printed as AF_INET/AF_INET6: strace 4.x named socket() domains PF_*, 6.x AF_* (same values)"),
    SOCKADDR_FIELD_ORDER(Stage.CALL, "sockaddr-field-order",
            "sockaddr_in6 fields put in one order (family, port, flowinfo, address, scope): strace 4.x printed the address before sin6_flowinfo"),
    FLOWINFO_HTONL(Stage.CALL, "flowinfo-htonl",
            "sin6_flowinfo=htonl(0) printed as sin6_flowinfo=0: strace 6.x shows the byte-order conversion, 4.x the value"),
    SOCKLEN_INOUT(Stage.CALL, "socklen-in-out",
            "socklen '[112 => 28]' printed as '[28]': strace 6.x shows the value passed in and the value returned, 4.x only the latter"),
    PORT(Stage.CALL, "port",
            "non-zero ports replaced by <port> (htons(0) kept): the listen port is a flag and peer ports are ephemeral"),
    PEER_ADDR(Stage.CALL, "peer-addr",
            "addresses of accepted conns (accept4 peer, their getsockname/getpeername) replaced by <addr>, family and lengths kept: they depend on where the client ran; the listener's own address is kept"),
    SOMAXCONN(Stage.CALL, "somaxconn",
            "the /proc/sys/net/core/somaxconn value read, its length, the second read's size (first size - length) and the listen backlog equal to it (capped at 65535) replaced by <somaxconn> tokens: machine setting"),
    PAYLOAD(Stage.CALL, "payload",
            "bytes read/written on sockets replaced by \"…\", the byte counts kept: the client's data is not the server's behaviour"),
    EPOLL_CTL_DEL_EVENT(Stage.CALL, "epoll-ctl-del-event",
            "epoll_ctl(EPOLL_CTL_DEL)'s event argument replaced by … (NULL kept): the kernel ignores it; strace 6.x prints only its address, 4.x printed the zeroed struct"),
    POINTER(Stage.CALL, "pointer",
            "pointers (0x... with 5+ hex digits) replaced by …: addresses differ between runs and runtimes"),
    EPOLL_WAIT_LIST(Stage.CALL, "epoll-wait-list",
            "epoll_wait results printed as a list [..] / []: strace 4.x printed {{...}} / {}"),
    EPOLL_EVENT_FORM(Stage.CALL, "epoll-event-form",
            "epoll_event printed as {FLAGS, data}: strace 6.x prints {events=FLAGS, data=...}, 4.x {FLAGS, {u32=..., u64=...}}"),
    EPOLL_DATA(Stage.CALL, "epoll-data",
            "epoll_event data replaced by …: Go stores a pointer there, ffm-echo the fd; only the event flags are behaviour"),
    EPOLL_PWAIT_SIGSETSIZE(Stage.CALL, "epoll-pwait-sigsetsize",
            "epoll_pwait's sigsetsize replaced by … when sigmask is NULL: the kernel ignores it and Go leaves a stale register there"),

    // --- TransferFolder: a connection's data transfer; AcceptWaits: the accept loop's waits ------
    TRANSFER_FOLD(Stage.FOLD, "transfer-fold",
            "a conn's reads/writes from its first read or write to EOF or error folded into its shape: call forms, echo property, bytes in and out (round counts are timing)"),
    EAGAIN_WAIT_FOLD(Stage.FOLD, "eagain-wait-fold",
            "inside a transfer, EAGAIN + epoll_wait(epollN, ..., 128, 0|-1)* + the same call retried folded away: whether data was already there is timing (an EAGAIN that is not retried stays)"),
    TRANSFER_POLL_FOLD(Stage.FOLD, "transfer-poll-fold",
            "inside a transfer, epoll_wait(epollN, ..., 128, 0|-1) between two data calls folded away: scheduler polls whose number is timing (other maxevents/timeouts stay)"),
    STRAY_POLL(Stage.FOLD, "stray-poll",
            "sequentially, a completed netpoll poll (128 events, timeout 0 or -1) outside an accept wait and outside a transfer dropped: Go's spinning Ms poll from any thread whenever the scheduler looks for work (runtime/proc.go: wakep starts one when a goroutine is readied, and its findrunnable calls netpoll(0)); the polls of every wait are kept and compared"),
    STALE_READY_RETRY(Stage.FOLD, "stale-ready-retry",
            "accept4 = -1 EAGAIN directly after another on the same listener dropped, one per run: the wait found its pollDesc marked ready by an edge from a client already accepted and retried without parking (runtime/netpoll.go netpollblock); whether that edge is reported before or after the accept is timing; a second retry in a row stays"),
    ACCEPT_WAIT_FOLD(Stage.FOLD, "accept-wait-fold",
            "between two accepts, accept4 = -1 EAGAIN + the netpoller's polls (a complete wait, ended by an accept4 that returns a conn) taken out of the sequence: whether the next client was already queued is timing; so is whether the client ended it after the non-blocking poll: each round of the wait (EAGAIN and its polls, call forms in order, what the polls found hidden) must be a prefix of a round among the other trace's waits (a poll another thread had entered before the EAGAIN is not a step of it); the wait before the first accept and one still open at the cut stay in place"),

    // --- ConcurrentStories (--concurrent): stories compared separately ----------------------------
    CONCURRENT_STORIES(Stage.STORIES, "concurrent-stories",
            "with --concurrent only: the calls split into the listener's story (the single-threaded setup before the first accept, then the accepts), one story per connection (accept4 to close, its transfer included) and the process story (netpoll, wake-ups, splice pipes); each compared in its own order, connections paired as a multiset: how goroutines on several threads interleave is scheduling"),
    CONN_NUMBERING(Stage.STORIES, "conn-numbering",
            "with --concurrent only: connN named conn inside a connection's story and in the listener's accepts: N is the accept order, which is timing when clients connect at once"),
    CONCURRENT_POLLS(Stage.STORIES, "concurrent-polls",
            "with --concurrent only: every completed epoll wait of the process story folded into one netpoll line naming the poll forms used: which thread polls, when, and what each poll finds is scheduling; a poll blocked at the cut stays, once however many threads were inside it"),
    SPLICE_PIPE_POOL(Stage.STORIES, "splice-pipe-pool",
            "splice pipes named pipeS, and the creation (pipe2, fcntl) of every splice pipe after the first folded away: Go's pipes come from a sync.Pool (internal/poll/splice_linux.go:getPipe), which every GC empties and whose per-P cache decides whether a transfer reuses one");

    /**
     * Where a rule is applied: reading the lines, picking the network story, per call, folding
     * transfers and waits, cutting the trace into stories (--concurrent).
     */
    public enum Stage { PARSE, STORY, CALL, FOLD, STORIES }

    private final Stage stage;
    private final String id;
    private final String why;

    Rule(Stage stage, String id, String why) {
        this.stage = stage;
        this.id = id;
        this.why = why;
    }

    public Stage stage() { return stage; }

    /** Short kebab-case name printed by --explain. */
    public String id() { return id; }

    /** One line: what the rule does and why it is safe. */
    public String why() { return why; }

    /**
     * Applies a {@link Stage#CALL} rule to one call draft and returns how many times it fired
     * (0 when it did not apply). Other stages return 0: their owner applies them.
     */
    int apply(CallDraft call, Normalizer.State state) {
        return switch (this) {
            case ERRNO_TEXT -> CallRules.errnoText(call);
            case PF_TO_AF -> CallRules.pfToAf(call);
            case SOCKADDR_FIELD_ORDER -> CallRules.sockaddrFieldOrder(call);
            case FLOWINFO_HTONL -> CallRules.flowinfoHtonl(call);
            case SOCKLEN_INOUT -> CallRules.socklenInOut(call);
            case PORT -> CallRules.port(call);
            case PEER_ADDR -> CallRules.peerAddr(call);
            case SOMAXCONN -> CallRules.somaxconn(call, state);
            case PAYLOAD -> CallRules.payload(call);
            case POINTER -> CallRules.pointer(call);
            case EPOLL_EVENT_FORM -> CallRules.epollEventForm(call);
            case EPOLL_DATA -> CallRules.epollData(call);
            case EPOLL_WAIT_LIST -> CallRules.epollWaitList(call);
            case EPOLL_CTL_DEL_EVENT -> CallRules.epollCtlDelEvent(call);
            case EPOLL_PWAIT_SIGSETSIZE -> CallRules.epollPwaitSigsetsize(call);
            default -> 0;
        };
    }
}
