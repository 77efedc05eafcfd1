// Command portal-demo is the small web server the tutorials deploy, built to
// run as a portal "image" (a program found on the agent's --image-path).
//
// It listens on $POD_IP:$PORT (PORT defaults to 8080; POD_IP to 127.0.0.1),
// or on -listen, and answers:
//
//	GET  /            Hello from <$HOSTNAME or the host name>
//	GET  /host        NODE: <$NODE_NAME>, POD IP: <$POD_IP>
//	GET  /healthz     liveness: 200 ok, or 500 after POST /fail/live
//	GET  /readyz      readiness: 200 ok, or 503 after POST /fail/ready
//	POST /fail/ready  /ok/ready  /fail/live  /ok/live: switch the probes
//
// Every request is logged to standard output, so `kubectl logs` has
// something to show. With -udp it also echoes UDP datagrams on the same
// port, for proxy tests. SIGTERM and SIGINT stop it gracefully.
package main

import (
	"context"
	"errors"
	"flag"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	listen := flag.String("listen", defaultListen(), "address to listen on (default $POD_IP:$PORT)")
	udp := flag.Bool("udp", false, "also echo UDP datagrams on the same address")
	flag.Parse()
	log.SetFlags(0)
	log.SetOutput(os.Stdout)

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if err := run(ctx, *listen, *udp, os.Stdout); err != nil {
		log.Fatal(err)
	}
}

// defaultListen is $POD_IP:$PORT with defaults 127.0.0.1 and 8080.
func defaultListen() string {
	ip, port := os.Getenv("POD_IP"), os.Getenv("PORT")
	if ip == "" {
		ip = "127.0.0.1"
	}
	if port == "" {
		port = "8080"
	}
	return net.JoinHostPort(ip, port)
}

// run serves until ctx ends.
func run(ctx context.Context, addr string, udp bool, out io.Writer) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	logger := log.New(out, "", 0)
	srv := &http.Server{Handler: newServer(logger).routes(), ReadHeaderTimeout: 10 * time.Second}
	logger.Printf("portal-demo listening on %s", ln.Addr())
	if udp {
		pc, err := net.ListenPacket("udp", addr)
		if err != nil {
			return err
		}
		defer pc.Close()
		logger.Printf("portal-demo echoing UDP on %s", pc.LocalAddr())
		go echoUDP(pc)
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	logger.Printf("portal-demo shutting down")
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// echoUDP sends every datagram back to its sender until pc is closed.
func echoUDP(pc net.PacketConn) {
	buf := make([]byte, 64*1024)
	for {
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			return
		}
		_, _ = pc.WriteTo(buf[:n], from)
	}
}

// hostname is $HOSTNAME (the pod's name, as the runner sets it), else the
// machine's.
func hostname() string {
	if h := os.Getenv("HOSTNAME"); h != "" {
		return h
	}
	h, _ := os.Hostname()
	return h
}
