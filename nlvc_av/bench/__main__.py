from .command import bench

bench()
