package difftest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"

	"github.com/selfguard/selfguard/infra/moto"
)

// motoServer is the moto_server every moto test shares (nil when moto is
// not installed outside CI); motoErr says why it is missing.
var (
	motoServer *moto.Server
	motoErr    error
)

func TestMain(m *testing.M) {
	srv, err := moto.Start(context.Background())
	if err != nil && (!errors.Is(err, moto.ErrNotInstalled) || os.Getenv("CI") != "") {
		fmt.Fprintf(os.Stderr, "difftest: %v\n", err)
	}
	motoServer, motoErr = srv, err
	code := m.Run()
	motoServer.Stop()
	os.Exit(code)
}

// needMoto returns the shared moto server, reset, or skips the test when
// moto is not installed and CI is not set.
func needMoto(t *testing.T) *moto.Server {
	t.Helper()
	if motoServer == nil {
		if errors.Is(motoErr, moto.ErrNotInstalled) && os.Getenv("CI") == "" {
			t.Skipf("moto: %v", motoErr)
		}
		t.Fatalf("moto: %v", motoErr)
	}
	if err := motoServer.Reset(); err != nil {
		t.Fatal(err)
	}
	return motoServer
}
