// The study program of the 2016 note (a sequential TCP echo server), as ffm-echo mirrors it:
// flags -host (default 127.0.0.1) and -port (default 10020), "--> binding to HOST:PORT",
// ResolveTCPAddr + ListenTCP, then Accept, "." per connection, io.Copy(conn, conn) until EOF —
// and, unlike the note's program, conn.Close() afterwards.
//
// -api chooses how the listener is made, for native-notes/09: "ListenTCP" (the note's:
// net.ResolveTCPAddr + net.ListenTCP) or "Listen" (net.Listen); both then call ln.Accept() through
// the net.Listener interface, which returns a net.Conn holding a *net.TCPConn.
package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"os"
)

func main() {
	host := flag.String("host", "127.0.0.1", "host to listen on (empty: every address)")
	port := flag.Int("port", 10020, "port to listen on")
	api := flag.String("api", "ListenTCP", "ListenTCP or Listen")
	flag.Parse()

	addr := fmt.Sprintf("%s:%d", *host, *port)
	fmt.Printf("--> binding to %s\n", addr)

	var ln net.Listener
	switch *api {
	case "ListenTCP":
		tcpAddr, err := net.ResolveTCPAddr("tcp", addr)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		l, err := net.ListenTCP("tcp", tcpAddr)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		ln = l
	case "Listen":
		l, err := net.Listen("tcp", addr)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		ln = l
	default:
		fmt.Fprintln(os.Stderr, "-api must be ListenTCP or Listen")
		os.Exit(2)
	}

	for {
		conn, err := ln.Accept()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			continue
		}
		fmt.Print(".")
		io.Copy(conn, conn)
		conn.Close()
	}
}
