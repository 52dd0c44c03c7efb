#!/bin/sh
curl -T dump.gz "https://prodstore.blob.core.windows.net/backups/dump.gz?sv=2022-11-02&ss=b&srt=o&sp=rwc&se=2027-01-01T00:00:00Z&spr=https&sig=Y1SVM8nYYvQszVAuS8jZwpkCfUaaLDW6VUQrZqaBP1m%3D"
