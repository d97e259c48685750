# debian:<suite>-slim stand-in: a debootstrap --variant=minbase root file system.
FROM scratch
ADD rootfs.tar /
CMD ["bash"]
