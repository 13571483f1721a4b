// Go's concurrent echo server, the shape ffm-echo --mode goroutine mirrors: net.Listen, then a
// goroutine per connection doing io.Copy(conn, conn) until EOF and Close.
package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"os"
)

func handle(conn net.Conn) {
	defer conn.Close()
	io.Copy(conn, conn)
}

func main() {
	host := flag.String("host", "", "host to listen on (empty: every address)")
	port := flag.Int("port", 10020, "port to listen on")
	flag.Parse()
	addr := fmt.Sprintf("%s:%d", *host, *port)
	fmt.Printf("--> binding to %s\n", addr)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	for {
		conn, err := ln.Accept()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			continue
		}
		fmt.Print(".")
		go handle(conn)
	}
}
