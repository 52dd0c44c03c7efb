apt-get update
mysql -u root -pmMrz4KW5Im orders
sshpass -p 'EKiBnvHyfUg' ssh admin@10.0.0.2
echo 'deploy:KhJiEBLzG' | chpasswd
ls -la /opt
psql --password=4P1TUcs2HGloU -h db
