module example.com/app

replace example.com/lib => ./lib
