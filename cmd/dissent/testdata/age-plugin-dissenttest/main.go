// Command age-plugin-dissenttest is an age plugin for TestBackupAgeKeyTypes:
// its recipient (age1dissenttest1…) carries an X25519 recipient and its
// identity (AGE-PLUGIN-DISSENTTEST-1…) an X25519 identity, so that the test
// exercises the plugin protocol end to end without hardware.
package main

import (
	"log"
	"os"

	"filippo.io/age"
	"filippo.io/age/plugin"
)

func main() {
	p, err := plugin.New("dissenttest")
	if err != nil {
		log.Fatal(err)
	}
	p.HandleRecipient(func(data []byte) (age.Recipient, error) { return age.ParseX25519Recipient(string(data)) })
	p.HandleIdentity(func(data []byte) (age.Identity, error) { return age.ParseX25519Identity(string(data)) })
	os.Exit(p.Main())
}
